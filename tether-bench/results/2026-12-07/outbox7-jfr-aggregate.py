import json, sys, subprocess, collections, re
f = sys.argv[1]; top = int(sys.argv[2]) if len(sys.argv) > 2 else 60
filt = sys.argv[3] if len(sys.argv) > 3 else None
out = subprocess.run(['/usr/lib/jvm/temurin-25-jdk-amd64/bin/jfr','print','--json','--stack-depth','96','--events','jdk.CPUTimeSample',f],capture_output=True,text=True).stdout
evs = json.loads(out)['recording']['events']
incl = collections.Counter(); selfc = collections.Counter(); threads = collections.Counter()
n = 0
for e in evs:
    v = e['values']; st = v.get('stackTrace')
    if not st: continue
    frames = [fr['method']['type']['name'].split('.')[-1] + '.' + fr['method']['name'] for fr in st['frames']]
    if filt and not any(re.search(filt, x) for x in frames): continue
    n += 1
    t = v['eventThread']['javaName'] if v.get('eventThread') else '?'
    threads[re.sub(r'\d+', 'N', t or '?')] += 1
    if frames: selfc[frames[0]] += 1
    for x in set(frames): incl[x] += 1
print('samples', n)
print('--- threads'); [print(f'{c*100/n:5.1f}% {k}') for k, c in threads.most_common(15)]
print('--- self'); [print(f'{c*100/n:5.1f}% {k}') for k, c in selfc.most_common(25)]
print('--- inclusive'); [print(f'{c*100/n:5.1f}% {k}') for k, c in incl.most_common(top)]
