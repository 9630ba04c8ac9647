"""Leave-one-set-out logistic regression over per-bead features (see README.md here)."""
import math
exec(open(__file__.replace("loso.py", "m.py")).read().split("lg=lambda")[0])
lg = lambda p: math.log(max(p, 1e-6) / max(1 - p, 1e-6))


def feats(r):
    a, b = r["a"], r["b"]
    s = a + b
    return [1.0, lg(r["post"]), r["lex"] / s, r["len"] if a and b else 0.0,
            1.0 if (a, b) == (1, 1) else 0.0, 1.0 if 0 in (a, b) else 0.0,
            1.0 if s >= 4 else 0.0, lg(min(r["prevp"], r["nextp"])),
            lg(float(r["extra"][0])), max(r["g"], -20), max(r["gp"], -20)]


def fit(tr, l2=1.0, it=400, lr=0.5):
    X = [feats(r) for r in tr]
    y = [1.0 if r["ok"] else 0.0 for r in tr]
    d, n = len(X[0]), len(X)
    mu = [sum(x[k] for x in X) / n for k in range(d)]
    sd = [max(1e-6, (sum((x[k] - mu[k]) ** 2 for x in X) / n) ** .5) for k in range(d)]
    mu[0], sd[0] = 0.0, 1.0
    Z = [[(x[k] - mu[k]) / sd[k] for k in range(d)] for x in X]
    w = [0.0] * d
    for _ in range(it):
        g = [0.0] * d
        for z, t in zip(Z, y):
            p = 1 / (1 + math.exp(-sum(wk * zk for wk, zk in zip(w, z))))
            for k in range(d):
                g[k] += (p - t) * z[k]
        for k in range(d):
            w[k] -= lr * (g[k] / n + l2 * w[k] / n)
    return lambda r: sum(wk * (f - m) / s for wk, f, m, s in zip(w, feats(r), mu, sd))


sets = sorted(set(r["set"] for r in rows))
held = {}
for s in sets:
    f = fit([r for r in rows if r["set"] != s])
    for r in rows:
        if r["set"] == s:
            held[id(r)] = f(r)
show(rows, lambda r: held[id(r)], "LOSO-LR")
show(rows, fit(rows), "in-sample LR")
