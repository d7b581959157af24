# The table of rules in docs/case-studies.md ("Other rules from training data") from the NAME.json files that
# `Interp.Bench eis7-rules NAME ...` writes for the eight starts: python3 bench/eis7_rules_table.py FOLDER
import json, glob, statistics as st, sys
order = ['torch0','torch1','torch2','torch3','interp0','interp1','interp2','interp3']
runs = {r['name']: r for r in (json.load(open(f)) for f in glob.glob(sys.argv[1] + '/*.json'))}
names = [n for n in order if n in runs]
def raw(r, s): 
    e = next((e for e in r['log'] if e['step'] == s), None); return e and 100*e['raw']['teA']
def emafit(r, d, pat=0):
    f = next((e['step'] for e in r['log'] if e['ema'] and e['ema'][d]['trA'] >= 1), None)
    e = next((e for e in r['log'] if f and e['step'] == f + pat), None)
    return e and 100*e['ema'][d]['teA'], f
def loss_below(r, thr):
    e = next((e for e in r['log'] if e['raw']['trL'] < thr), None); return e and (100*e['raw']['teA'], e['step'])
def swa(r, a, b):
    ws = r['windows']
    if not ws: return None
    w = min(ws, key=lambda w: (abs(w['from'] - r['fit'] - a), abs(w['to'] - r['fit'] - b), w['from'], w['to']))
    if abs(w['from'] - r['fit'] - a) > 10 or abs(w['to'] - r['fit'] - b) > 10: return None
    return 100*w['eval']['teA']
cols = [
 ('fitted (first eval with train 100 %)', lambda r: raw(r, r['fit'])),
 ('fitted + 50 steps', lambda r: raw(r, r['fit'] + 50)),
 ('fitted + 100', lambda r: raw(r, r['fit'] + 100)),
 ('fitted + 150', lambda r: raw(r, r['fit'] + 150)),
 ('train loss < 0.005', lambda r: loss_below(r, 0.005)[0]),
 ('train loss < 0.001', lambda r: loss_below(r, 0.001)[0]),
 ('EMA 0.98, its own fit', lambda r: emafit(r, 0)[0]),
 ('EMA 0.98, its fit + 50', lambda r: emafit(r, 0, 50)[0]),
 ('EMA 0.99, its own fit', lambda r: emafit(r, 1)[0]),
 ('SWA of checkpoints fit..fit+100', lambda r: swa(r, 0, 100)),
 ('SWA fit-100..fit', lambda r: swa(r, -100, 0)),
 ('SWA fit-40..fit+60', lambda r: swa(r, -40, 60)),
 ('SWA fit..fit+140', lambda r: swa(r, 0, 140)),
]
print('| rule | ' + ' | '.join(names) + ' | mean | sd | >= 97.57 |')
print('|---|' + '---|' * (len(names) + 3))
for title, f in cols:
    vals = []
    for n in names:
        try: v = f(runs[n])
        except Exception: v = None
        vals.append(v)
    ok = [v for v in vals if v is not None]
    print(f"| {title} | " + ' | '.join('-' if v is None else f"{v:.2f}" for v in vals) +
          f" | {st.mean(ok):.2f} | {st.stdev(ok) if len(ok) > 1 else 0:.2f} | {sum(v >= 97.5724 for v in ok)} of {len(ok)} |")
print('fits:', {n: runs[n]['fit'] for n in names}, 'ema0.98 fits:', {n: emafit(runs[n], 0)[1] for n in names}, 'ema0.99 fits:', {n: emafit(runs[n], 1)[1] for n in names})
print('loss<0.005 steps', {n: loss_below(runs[n], 0.005)[1] for n in names})
