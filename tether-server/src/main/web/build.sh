#!/bin/sh
# Run by the Maven build before `npm ci` and `npm run build`: fails with a clear
# message when Node.js or npm is missing or too old to build the web UI.
need_major=20
need_minor=19
fail() {
    echo "" >&2
    echo "Building Tether's web UI needs Node.js $need_major.$need_minor or newer and npm: $1" >&2
    echo "Install them (on Debian or Ubuntu: apt-get install nodejs npm)," >&2
    echo "or skip the UI for a server-only build with -DskipWeb." >&2
    echo "" >&2
    exit 1
}
command -v node >/dev/null 2>&1 || fail "'node' is not on the PATH."
command -v npm >/dev/null 2>&1 || fail "'npm' is not on the PATH."
version=$(node --version 2>/dev/null | sed 's/^v//')
major=${version%%.*}
rest=${version#*.}
minor=${rest%%.*}
case "$major$minor" in
    ''|*[!0-9]*) fail "cannot tell the version of node ('$version')." ;;
esac
if [ "$major" -lt "$need_major" ] || { [ "$major" -eq "$need_major" ] && [ "$minor" -lt "$need_minor" ]; }; then
    fail "this node is $version."
fi
