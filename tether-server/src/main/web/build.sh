#!/bin/sh
# Builds Tether's web UI into the directory given as $1 (the Maven build passes
# target/classes/web): npm ci, then vite build. Needs Node.js 20.19 or newer and
# npm. When they are missing or too old, the build goes on without the UI and
# says so loudly (the server then answers / with a page saying how to build
# it); under CI=true, or with TETHER_REQUIRE_WEB=true, that is a failure.
set -eu
out_dir=${1:?usage: build.sh OUTPUT_DIR}
need_major=20
need_minor=19

missing() {
    echo "" >&2
    echo "WARNING: the web UI is NOT built: $1 It needs Node.js $need_major.$need_minor or newer and npm." >&2
    echo "WARNING: the server will answer / with a page saying how to build it; the REST API, the CLI and agents work without it." >&2
    echo "WARNING: install Node.js and npm (on Debian or Ubuntu: apt-get install nodejs npm) and build again for the UI." >&2
    echo "" >&2
    if [ "${CI:-}" = "true" ] || [ "${TETHER_REQUIRE_WEB:-}" = "true" ]; then
        echo "CI=true (or TETHER_REQUIRE_WEB=true): the web UI is required, failing the build." >&2
        exit 1
    fi
    exit 0
}

command -v node >/dev/null 2>&1 || missing "'node' is not on the PATH."
command -v npm >/dev/null 2>&1 || missing "'npm' is not on the PATH."
version=$(node --version 2>/dev/null | sed 's/^v//')
major=${version%%.*}
rest=${version#*.}
minor=${rest%%.*}
case "$major$minor" in
    ''|*[!0-9]*) missing "cannot tell the version of node ('$version')." ;;
esac
if [ "$major" -lt "$need_major" ] || { [ "$major" -eq "$need_major" ] && [ "$minor" -lt "$need_minor" ]; }; then
    missing "this node is $version."
fi

npm ci --prefer-offline --no-audit --no-fund --silent
npm run build --silent -- --logLevel warn --outDir "$out_dir"
