#!/bin/bash
# usage: cpu.sh JAR TAG -- marginal CPU per event (agent, server): runs of 20k and 120k events, 16 threads
JAR=$1; TAG=$2
cd /tmp/ob7
/tmp/ob7/profile.sh $JAR /tmp/ob7/c-$TAG-s 20000 16 > /tmp/ob7/c-$TAG-s.out 2>&1
/tmp/ob7/profile.sh $JAR /tmp/ob7/c-$TAG-l 120000 16 > /tmp/ob7/c-$TAG-l.out 2>&1
python3 - $TAG <<'PY'
import sys, json
t = sys.argv[1]
def rd(k):
    c = open(f'/tmp/ob7/c-{t}-{k}/cpu').read().split()
    r = json.loads(open(f'/tmp/ob7/c-{t}-{k}/result.json').read().strip().splitlines()[-1])
    return float(c[2]), float(c[4]), r
a1, s1, r1 = rd('s'); a2, s2, r2 = rd('l')
print(f"{t}: agent {(a2-a1)/100000*1e6:.0f} us/event, server {(s2-s1)/100000*1e6:.0f} us/event, total {(a2-a1+s2-s1)/100000*1e6:.0f}; rate 20k {20000/r1['acknowledged_s']:.0f}/s, 120k {120000/r2['acknowledged_s']:.0f}/s; load {open(f'/tmp/ob7/c-{t}-s/loadavg').read().split()[0]}")
PY
