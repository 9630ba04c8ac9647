import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load import *
import math
import sys
rows=load(sys.argv[1] if len(sys.argv) > 1 else '/tmp/cal/feat.txt')
def gains(r, withprior=False):
    out=[]
    e=[float(x) for x in r['extra']]
    for o in (5,11):
        pm,lm,xm,py,ly,xy=e[o:o+6]
        if math.isnan(pm): continue
        g=(lm+xm)-(r['len']+r['lex']+ly+xy)
        if withprior: g+=pm-r['prior']-py
        out.append(g)
    return max(out) if out else -50.0
for r in rows: r['g']=gains(r); r['gp']=gains(r,True)
lg=lambda p: math.log(max(p,1e-6)/max(1-p,1e-6))
show(rows,lambda r:r['post'],'post')
for c in (0.05,0.1,0.2,0.3,0.5):
    show(rows,lambda r:lg(r['post'])-c*max(r['g'],0),f'g{c}')
    show(rows,lambda r:lg(r['post'])-c*max(r['gp'],-20),f'gp{c}')
import statistics as st
for ok in (True,False):
    v=[r['g'] for r in rows if r['ok']==ok]; print(ok, st.mean(v), st.median(v), sum(1 for x in v if x>0)/len(v))
