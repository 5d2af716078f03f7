#!/bin/sh
# install-agent.sh: install the Tether agent from this unpacked package on a Linux host, configure it and start
# it under systemd. Run it again to change the settings or upgrade; --uninstall removes it. --help for the flags.
set -eu
umask 022

usage() {
    cat <<'EOF'
Usage: install-agent.sh --server URL [options]
       install-agent.sh --uninstall [--purge] [--root DIR]

Installs the agent in /opt/tether-agent, writes /etc/tether/agent.env, creates the system user `tether` and the
state dir /var/lib/tether-agent (0700), and enables and starts tether-agent.service. Run it again to change a
setting or to upgrade: what is not given again is kept from /etc/tether/agent.env.

  --server URL        the server (repeat it for the nodes of a cluster); https:// unless --insecure
  --token-file FILE   an enrollment token from FILE (tether tokens create), kept in /etc/tether/enroll-token
  --token-stdin       the enrollment token from standard input
  --name NAME         the name to enrol under (default: the host name)
  --label K=V         a label (repeat it); replaces the labels when given
  --enable-shell      allow remote shells on this host (--disable-shell turns them off again)
  --ca-file PEM       trust this CA for the server instead of the system's (copied to /etc/tether/ca.pem)
  --insecure          allow http:// and ws:// (the agent's key crosses the network in clear)
  --root DIR          install everything under DIR with paths that work there, for a user without root or for a
                      test: no system user, no systemd (start DIR/opt/tether-agent/bin/tether-agent yourself
                      with the settings of DIR/etc/tether/agent.env)
  --no-start          install and configure, but do not enable or start the unit
  --uninstall         stop and remove the agent and its unit; the state and /etc/tether stay unless --purge
  --purge             with --uninstall: also remove the agent's state (its key and outbox) and /etc/tether
EOF
}

die() {
    echo "install-agent.sh: $*" >&2
    exit 2
}

package=$(cd "$(dirname "$0")" && pwd)
root=
servers=
labels=
labels_given=no
token_file=
token_stdin=no
name=
shell=
ca_file=
insecure=
start=yes
uninstall=no
purge=no

while [ $# -gt 0 ]; do
    case $1 in
        --server) [ $# -ge 2 ] || die "--server needs a URL"; servers=${servers:+$servers,}$2; shift ;;
        --label)
            [ $# -ge 2 ] || die "--label needs KEY=VALUE"
            case $2 in *=*) ;; *) die "--label $2: give KEY=VALUE, e.g. --label env=prod" ;; esac
            labels=${labels:+$labels,}$2; labels_given=yes; shift ;;
        --token-file) [ $# -ge 2 ] || die "--token-file needs a FILE"; token_file=$2; shift ;;
        --token-stdin) token_stdin=yes ;;
        --name) [ $# -ge 2 ] || die "--name needs a NAME"; name=$2; shift ;;
        --enable-shell) shell=true ;;
        --disable-shell) shell=false ;;
        --ca-file) [ $# -ge 2 ] || die "--ca-file needs a PEM file"; ca_file=$2; shift ;;
        --insecure) insecure=true ;;
        --root) [ $# -ge 2 ] || die "--root needs a DIR"; root=$2; shift ;;
        --no-start) start=no ;;
        --uninstall) uninstall=yes ;;
        --purge) purge=yes ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done

if [ -n "$root" ]; then
    mkdir -p "$root" || die "cannot create --root $root"
    root=$(cd "$root" && pwd)
    [ "$root" != / ] || root=
fi
prefix=$root/opt/tether-agent
etc=$root/etc/tether
env_file=$etc/agent.env
state=$root/var/lib/tether-agent
unit=$root/etc/systemd/system/tether-agent.service
link=$root/usr/local/bin/tether-agent
system=no
if [ -z "$root" ]; then
    system=yes
    [ "$(id -u)" = 0 ] || die "run it as root (or use --root DIR to install under a directory of yours)"
fi

if [ "$uninstall" = yes ]; then
    if [ "$system" = yes ] && command -v systemctl >/dev/null; then
        systemctl disable --now tether-agent.service 2>/dev/null || true
    fi
    rm -rf "$prefix" "$link" "$unit"
    [ "$system" = yes ] && command -v systemctl >/dev/null && systemctl daemon-reload || true
    if [ "$purge" = yes ]; then
        rm -rf "$state" "$etc"
        echo "tether agent removed, with its state and settings"
    else
        echo "tether agent removed; its state ($state) and settings ($etc) are kept (--purge removes them)"
    fi
    exit 0
fi

# Settings already installed are kept unless given again.
old() {
    [ -f "$env_file" ] && sed -n "s/^$1='\\(.*\\)'\$/\\1/p" "$env_file" | tail -n 1 || true
}
[ -n "$servers" ] || servers=$(old TETHER_AGENT_SERVER)
[ -n "$servers" ] || die "--server URL is required (the Tether server the agent connects to)"
[ "$labels_given" = yes ] || labels=$(old TETHER_AGENT_LABEL)
[ -n "$name" ] || name=$(old TETHER_AGENT_NAME)
[ -n "$shell" ] || shell=$(old TETHER_AGENT_ENABLE_SHELL)
[ -n "$insecure" ] || insecure=$(old TETHER_AGENT_INSECURE)
old_ca=$(old TETHER_AGENT_CA_FILE)

for url in $(echo "$servers" | tr ',' ' '); do
    case $url in
        https://* | wss://*) ;;
        http://* | ws://*) [ "$insecure" = true ] || die "--server $url is not TLS: use https:// or add --insecure" ;;
        *) die "--server $url: give a URL such as https://tether.example.com" ;;
    esac
done
for value in "$servers" "$labels" "$name"; do
    case $value in *"'"* | *"
"*) die "a setting may not hold a quote (') or a line break: $value" ;; esac
done

token=
if [ "$token_stdin" = yes ]; then
    [ -z "$token_file" ] || die "give --token-file or --token-stdin, not both"
    IFS= read -r token || [ -n "$token" ] || die "no token on standard input"
elif [ -n "$token_file" ]; then
    [ -r "$token_file" ] || die "--token-file $token_file: no such readable file"
    IFS= read -r token <"$token_file" || [ -n "$token" ] || die "--token-file $token_file is empty"
fi
case $token in *[!A-Za-z0-9._~+/=-]*) die "the enrollment token has characters no token has: is it the right file?" ;; esac
[ -z "$ca_file" ] || [ -r "$ca_file" ] || die "--ca-file $ca_file: no such readable file"
[ -x "$package/bin/tether-agent" ] && [ -d "$package/runtime" ] \
    || die "run the install-agent.sh of an unpacked tether-agent package (no bin/ and runtime/ beside it)"

if [ "$system" = yes ] && ! id tether >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/tether-agent --no-create-home --shell /usr/sbin/nologin \
        --comment "Tether agent" tether
fi

# The package: a fresh copy beside the old one, then renamed over it, so an upgrade never leaves half a runtime.
if [ "$package" != "$prefix" ]; then
    mkdir -p "$(dirname "$prefix")"
    rm -rf "$prefix.new" "$prefix.old"
    mkdir -p "$prefix.new"
    for part in bin lib runtime systemd VERSION LICENSE agent.env.example install-agent.sh; do
        [ ! -e "$package/$part" ] || cp -Rp "$package/$part" "$prefix.new/"
    done
    [ ! -e "$prefix" ] || mv "$prefix" "$prefix.old"
    mv "$prefix.new" "$prefix"
    rm -rf "$prefix.old"
fi
mkdir -p "$(dirname "$link")"
ln -sfn "$prefix/bin/tether-agent" "$link"

mkdir -p "$etc" "$state"
chmod 0755 "$etc"
chmod 0700 "$state"
if [ -n "$token" ]; then
    (umask 077 && printf '%s\n' "$token" >"$etc/enroll-token.new")
    chmod 0640 "$etc/enroll-token.new"
    mv "$etc/enroll-token.new" "$etc/enroll-token"
fi
if [ -n "$ca_file" ]; then
    cp "$ca_file" "$etc/ca.pem.new"
    chmod 0644 "$etc/ca.pem.new"
    mv "$etc/ca.pem.new" "$etc/ca.pem"
    old_ca=$etc/ca.pem
fi
if [ "$system" = yes ]; then
    chown -R tether:tether "$state" "$prefix/lib"
    [ ! -f "$etc/enroll-token" ] || chown root:tether "$etc/enroll-token"
fi

setting() {
    printf "%s='%s'\n" "$1" "$2"
}
{
    echo "# The Tether agent's settings, written by install-agent.sh (run it again to change them)."
    echo "# Every flag of tether-agent --help can be set here as TETHER_AGENT_<FLAG>."
    echo "# Values are in single quotes, read the same by systemd and by a shell."
    setting TETHER_AGENT_SERVER "$servers"
    setting TETHER_AGENT_STATE_DIR "$state"
    [ ! -f "$etc/enroll-token" ] || setting TETHER_AGENT_ENROLL_TOKEN_FILE "$etc/enroll-token"
    [ -z "$name" ] || setting TETHER_AGENT_NAME "$name"
    [ -z "$labels" ] || setting TETHER_AGENT_LABEL "$labels"
    [ -z "$shell" ] || setting TETHER_AGENT_ENABLE_SHELL "$shell"
    [ -z "$old_ca" ] || setting TETHER_AGENT_CA_FILE "$old_ca"
    [ -z "$insecure" ] || setting TETHER_AGENT_INSECURE "$insecure"
} >"$env_file.new"
chmod 0644 "$env_file.new"
mv "$env_file.new" "$env_file"

mkdir -p "$(dirname "$unit")"
sed -e "s|@PREFIX@|$prefix|g" -e "s|@ETC@|$etc|g" "$prefix/systemd/tether-agent.service" >"$unit"
chmod 0644 "$unit"

echo "tether agent $(cat "$prefix/VERSION" 2>/dev/null || echo) installed in $prefix, settings in $env_file"
if [ "$system" = no ]; then
    echo "start it with: set -a; . $env_file; set +a; $prefix/bin/tether-agent"
    exit 0
fi
if [ "$start" = no ] || ! command -v systemctl >/dev/null || [ ! -d /run/systemd/system ]; then
    echo "not started: systemctl enable --now tether-agent starts it"
    exit 0
fi
systemctl daemon-reload
systemctl enable tether-agent.service >/dev/null
systemctl restart tether-agent.service
echo "started: systemctl status tether-agent, journalctl -u tether-agent"
