#!/usr/bin/env bash
# agent-footprint.sh [options] PACKAGE.tar.gz [PACKAGE.tar.gz ...]
#
# The installed agent's footprint, package against package, in turn on one server (docs/benchmarks.md, "The
# installed agent: memory and start"): for each run and each package, in that order,
#   - start -> online: from the launcher's exec to the server's GET /api/v1/agents/NAME saying "online", polled
#     every 20 ms, on a restart with the key and state already there; the agent's CPU time at that moment;
#   - idle, 20 s after online: PSS (anonymous / file) from /proc/PID/smaps_rollup, threads, and the live heap
#     after a full GC (jcmd GC.class_histogram, which collects first);
#   - with SHELLS shells open (tether shell NAME -- /bin/sh -c 'sleep 90', each), 35 s after they opened: PSS
#     and threads.
# Prints one line a package and run, and writes them, the thread names and the heap histograms under --out.
#
# Options: --tls (the server serves HTTPS/WSS with a throwaway CA's certificate and the agents trust that CA, as a
#          real fleet connects; needs openssl), --runs N (2), --shells N (8), --idle SECONDS (20),
#          --out DIR (bench-results/agent-footprint-TIME),
#          --server-jar JAR (tether-cli/target/tether.jar, also runs `tether shell`), --java JAVA (JDK 25's java;
#          its jcmd must attach to the package's runtime, so the same feature release).
# Loopback only; every wait is bounded; the server, agents and shells it started are stopped at exit.
# Run it alone on the machine (e.g. under flock /tmp/tether-bench.lock) and note the load it prints.
set -euo pipefail

runs=2 shells=8 idle=20 out= server_jar=tether-cli/target/tether.jar tls=
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
while [ $# -gt 0 ]; do
    case $1 in
        --tls) tls=yes; shift ;;
        --runs) runs=$2; shift 2 ;;
        --shells) shells=$2; shift 2 ;;
        --idle) idle=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --server-jar) server_jar=$2; shift 2 ;;
        --java) java=$2; shift 2 ;;
        -h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) echo "agent-footprint: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || { echo "agent-footprint: name at least one agent package (tether-agent-*-linux-x64.tar.gz)" >&2; exit 2; }
for tool in curl jq "$java"; do
    command -v "$tool" >/dev/null || { echo "agent-footprint: $tool is needed" >&2; exit 2; }
done
jcmd=$(dirname "$java")/jcmd
[ -f "$server_jar" ] || { echo "agent-footprint: no server jar $server_jar (--server-jar; ./mvnw package builds it)" >&2; exit 2; }
server_jar=$(readlink -f "$server_jar")
out=${out:-bench-results/agent-footprint-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$out"
out=$(readlink -f "$out")
work=$(mktemp -d /tmp/agent-footprint.XXXXXX)
token=tat_agent-footprint-$RANDOM$RANDOM
pids=()

cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    sleep 1
    rm -rf "$work"
}
trap cleanup EXIT

# The packages, unpacked once each.
packages=()
for tarball in "$@"; do
    dir=$work/pkg${#packages[@]}
    mkdir -p "$dir"
    tar -xzf "$tarball" -C "$dir"
    packages+=("$(echo "$dir"/tether-agent-*)")
done

# Plain HTTP, or HTTPS with a throwaway CA (--tls): the agents and the shells then trust that CA only.
server_flags=(--insecure-http) agent_tls=(--insecure) scheme=http
if [ -n "$tls" ]; then
    command -v openssl >/dev/null || { echo "agent-footprint: --tls needs openssl" >&2; exit 2; }
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=footprint-ca \
        -keyout "$work/ca.key" -out "$work/ca.pem" >"$work/openssl.log" 2>&1
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost -keyout "$work/tls.key" \
        -out "$work/tls.csr" >>"$work/openssl.log" 2>&1
    printf 'subjectAltName=DNS:localhost\n' >"$work/tls.ext"
    openssl x509 -req -in "$work/tls.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 1 \
        -extfile "$work/tls.ext" -out "$work/tls.pem" >>"$work/openssl.log" 2>&1
    openssl pkcs8 -topk8 -nocrypt -in "$work/tls.key" -out "$work/tls.p8"
    server_flags=(--tls-cert "$work/tls.pem" --tls-key "$work/tls.p8")
    agent_tls=(--ca-file "$work/ca.pem")
    scheme=https
fi
TETHER_ADMIN_TOKEN=$token "$java" -Xmx256m -XX:TieredStopAtLevel=1 --sun-misc-unsafe-memory-access=allow \
    -jar "$server_jar" server "${server_flags[@]}" --listen 127.0.0.1:0 --data-dir "$work/server" \
    >"$out/server.log" 2>&1 &
pids+=($!)
url=
for _ in $(seq 600); do
    url=$(grep -o "listening on $scheme://127\.0\.0\.1:[0-9]*" "$out/server.log" | head -1 | sed 's/listening on //') || true
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { echo "agent-footprint: the server did not start in 60 s, see $out/server.log" >&2; exit 1; }
# The certificate names localhost, not the address.
url=${url/127.0.0.1/localhost}

api() {
    curl -sS --max-time 10 ${tls:+--cacert "$work/ca.pem"} -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' "$@"
}

# Starts package $1 as agent $2 (key $3, state dir $4) in the background; its PID in $agent.
start_agent() {
    TETHER_AGENT_KEY=$3 "$1/bin/tether-agent" --server "$url" "${agent_tls[@]}" --state-dir "$4" --enable-shell \
        >>"$4.log" 2>&1 &
    agent=$!
    pids+=("$agent")
}

# Waits (at most 60 s) until the server says agent $1 is online.
await_online() {
    for _ in $(seq 3000); do
        [ "$(api "$url/api/v1/agents/$1" | jq -r .status)" = online ] && return 0
        sleep 0.02
    done
    echo "agent-footprint: agent $1 did not come online in 60 s" >&2
    return 1
}

stop() {
    kill "$1" 2>/dev/null || true
    for _ in $(seq 300); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$1" 2>/dev/null || true
}

# "PSS_MiB ANON_MiB FILE_MiB THREADS" of process $1.
footprint() {
    awk '/^Pss:/ {p=$2} /^Pss_Anon:/ {a=$2} /^Pss_File:/ {f=$2} END {printf "%.1f %.1f %.1f", p/1024, a/1024, f/1024}' \
        "/proc/$1/smaps_rollup"
    echo " $(awk '/^Threads:/ {print $2}' "/proc/$1/status")"
}

cpu_ms() {
    awk -v tick="$(getconf CLK_TCK)" '{print ($14 + $15) * 1000 / tick}' "/proc/$1/stat"
}

printf '%-10s %3s %9s %7s | %-26s %7s %9s | %-26s %7s | %s\n' package run online_ms cpu_ms \
    "idle PSS/anon/file MiB" threads live_KiB "$shells shells PSS/anon/file" threads load | tee "$out/summary.txt"
for run in $(seq "$runs"); do
    for index in "${!packages[@]}"; do
        package=${packages[$index]}
        name=fp-$index-$run
        key=$(api -X POST -d "{\"name\":\"$name\"}" "$url/api/v1/agents" | jq -r .key)
        state=$work/state-$name
        # The first start writes the state; the measured one is a restart, as after a reboot.
        start_agent "$package" "$name" "$key" "$state"
        await_online "$name"
        stop "$agent"
        begin=$(date +%s%N)
        start_agent "$package" "$name" "$key" "$state"
        await_online "$name"
        online_ms=$((($(date +%s%N) - begin) / 1000000))
        cpu=$(cpu_ms "$agent")
        sleep "$idle"
        read -r pss anon file threads <<<"$(footprint "$agent")"
        ls /proc/"$agent"/task | while read -r task; do cat "/proc/$agent/task/$task/comm"; done | sort | uniq -c \
            >"$out/threads-$name.txt"
        "$jcmd" "$agent" GC.class_histogram >"$out/histogram-$name.txt"
        live=$(awk '/^Total/ {print int($3 / 1024)}' "$out/histogram-$name.txt")
        shell_pids=()
        for i in $(seq "$shells"); do
            (sleep 100 | env TETHER_URL="$url" TETHER_TOKEN="$token" ${tls:+TETHER_CA_FILE="$work/ca.pem"} \
                "$java" -XX:TieredStopAtLevel=1 -Xmx64m --sun-misc-unsafe-memory-access=allow \
                -jar "$server_jar" shell "$name" -- /bin/sh -c 'sleep 90' \
                >/dev/null 2>>"$out/shells.log") &
            shell_pids+=($!)
            pids+=($!)
        done
        sleep 35
        read -r spss sanon sfile sthreads <<<"$(footprint "$agent")"
        for pid in "${shell_pids[@]}"; do
            pkill -P "$pid" 2>/dev/null || true
            kill "$pid" 2>/dev/null || true
        done
        stop "$agent"
        printf '%-10s %3s %9s %7s | %-26s %7s %9s | %-26s %7s | %s\n' "pkg$index" "$run" "$online_ms" "$cpu" \
            "$pss / $anon / $file" "$threads" "$live" "$spss / $sanon / $sfile" "$sthreads" \
            "$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/summary.txt"
    done
done
for index in "${!packages[@]}"; do
    echo "pkg$index: $(readlink -f "${@:$((index + 1)):1}")" | tee -a "$out/summary.txt"
done
