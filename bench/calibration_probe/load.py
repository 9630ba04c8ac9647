import os, collections, math
base=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
sets=[]
for line in open(base+'/align_sets.tsv'):
    if line.startswith('#') or not line.strip(): continue
    s,src,tgt,gold=line.rstrip('\n').split('\t')
    sets.append((s,os.path.normpath(os.path.join(base,src)),os.path.normpath(os.path.join(base,tgt)),os.path.normpath(os.path.join(base,gold))))
def nlines(p): return sum(1 for _ in open(p,encoding='utf-8',errors='replace'))
def parse(tok):
    tok=tok.strip()[1:-1]
    return tuple(int(x) for x in tok.split(',') if x.strip()!='')
def golds(p):
    g=set()
    for l in open(p):
        l=l.strip()
        if not l: continue
        a,b=l.split(':')[:2]
        g.add((parse(a),parse(b)))
    return g
docs={}
for s,src,tgt,gold in sets:
    docs[(nlines(src),nlines(tgt))]=(s,golds(gold),src)
def load(path='/tmp/cal/feat.txt'):
    rows=[]
    for l in open(path):
        f=l.rstrip('\n').split('\t')
        if f[0]!='FEAT': continue
        n,m,i0,a,j0,b=map(int,f[1:7])
        post,prior,ln,lex,para,dele=map(float,f[7:13])
        s,g,src=docs[(n,m)]
        key=(tuple(range(i0,i0+a)),tuple(range(j0,j0+b)))
        rows.append(dict(set=s,doc=src,n=n,m=m,i0=i0,a=a,j0=j0,b=b,post=post,prior=prior,len=ln,lex=lex,para=para,dele=dele,ok=key in g,extra=f[13:]))
    # neighbours
    bydoc=collections.defaultdict(list)
    for r in rows: bydoc[r['doc']].append(r)
    for d,rs in bydoc.items():
        rs.sort(key=lambda r:(r['i0'],r['j0']))
        for k,r in enumerate(rs):
            r['prevp']=rs[k-1]['post'] if k>0 else 1.0
            r['nextp']=rs[k+1]['post'] if k+1<len(rs) else 1.0
    return rows
def evaluate(rows,key,share=0.1):
    out={}
    for s in sorted(set(r['set'] for r in rows))+['ALL']:
        rs=[r for r in rows if s=='ALL' or r['set']==s]
        rs=sorted(rs,key=key)
        res=[]
        for sh in (0.1,0.2):
            k=int(round(len(rs)*sh))
            d=rs[:k]; kp=rs[k:]
            res.append((sum(r['ok'] for r in kp)/len(kp), sum(r['ok'] for r in d)/len(d)))
        out[s]=res
    return out
def show(rows,key,name=''):
    o=evaluate(rows,key)
    print(name, '  '.join(f"{s[:8]}:{v[0][1]:.3f}/{v[1][1]:.3f}" for s,v in o.items()))
