#!/bin/bash
# usage: profile.sh JAR OUTDIR [EVENTS] [THREADS]  -- server + PublishLoad, JFR on both
set -e
JAR=$1; OUT=$2; EVENTS=${3:-100000}; THREADS=${4:-16}
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
rm -rf $OUT; mkdir -p $OUT/data $OUT/agent
PORT=$((20000 + RANDOM % 20000))
TOKEN=bench-admin-token-0123456789
JFR=""
if [ -n "$PROFILE" ]; then JFR="-XX:StartFlightRecording=filename=$OUT/%p.jfr,settings=profile,jdk.CPUTimeSample#enabled=true,jdk.CPUTimeSample#throttle=2ms"; fi
TETHER_ADMIN_TOKEN=$TOKEN TETHER_LOG_LEVEL=WARN $J $JFR --enable-native-access=ALL-UNNAMED -jar $JAR server --listen 127.0.0.1:$PORT --data-dir $OUT/data --insecure-http --heartbeat-interval 30000ms > $OUT/server.log 2>&1 &
SPID=$!
for i in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:$PORT/api/v1/agents -H "Authorization: Bearer $TOKEN" && break; sleep 0.2; done
KEY=$(curl -sf -X POST http://127.0.0.1:$PORT/api/v1/agents -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"name":"prof","labels":{}}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["key"])')
echo -n "$KEY" > $OUT/agent/key; chmod 600 $OUT/agent/key
cat /proc/loadavg > $OUT/loadavg
( while kill -0 $SPID 2>/dev/null; do sleep 1; done ) &
/usr/bin/time -o $OUT/agent.time -f "%U %S" $J $JFR --enable-native-access=ALL-UNNAMED -cp $JAR dev.tether.agent.load.PublishLoad --server http://127.0.0.1:$PORT --key-file $OUT/agent/key --state-dir $OUT/agent/state --events $EVENTS --threads $THREADS --warm-up 20000 > $OUT/result.json 2> $OUT/agent.log
AGENT_RC=$?
cat $OUT/result.json
# server cpu
S=$(awk '{print ($14+$15)/100}' /proc/$SPID/stat); A=$(awk '{print $1+$2}' $OUT/agent.time); echo "cpu_s agent $A server $S" | tee $OUT/cpu
kill $SPID; wait $SPID 2>/dev/null || true
