# Shapes of bounded fusion beyond alpha, measured from `eval --run-out`'s
# legs.jsonl (no vectors needed): the keyword part raised to a power p, the
# cosine to a power, a bonus for papers in both legs' top k, a small RRF term
# added, alpha moved by how much of its bound the keyword leg's top paper
# reaches. The first row reproduces eval's default exactly.
#
# usage: shapes.py NAME=RUN_DIR[=QUERIES.jsonl] ... -- 'p=0.5' 'agree=0.02' ...
#   (train splits first: the mean of the sets whose name ends in -train decides)
import collections, json, os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from judged_sets import load_qrels, ndcg10, query_kinds, mean

def load(runs, queries=None):
    qrels = load_qrels(f'{runs}/qrels.txt')
    legs = {}
    for l in open(f'{runs}/legs.jsonl'):
        j = json.loads(l); legs[j['query']] = j
    kinds = query_kinds(queries) if queries else {}
    return qrels, legs, kinds

def fuse(L, alpha=0.4, p=1.0, agree=0.0, agree_k=10, rrf=0.0, rrf_k=60, adapt=0.0, cosp=1.0):
    score, best = collections.defaultdict(float), {}
    bound = L['keyword_bound']
    kw = L['keyword']; sem = L['semantic']
    top_ratio = (min(kw[0][1]/bound,1) if kw and bound>0 else 0)
    a = alpha + adapt*(0.5 - top_ratio)
    a = min(max(a, 0), 1)
    for r, (d, sc) in enumerate(kw):
        x = (min(max(sc / bound, 0), 1) if bound > 0 else 0)
        score[d] += (1 - a) * x**p
        best[d] = min(best.get(d, 1 << 30), r)
        if rrf: score[d] += rrf / (rrf_k + r + 1)
    cos = {d: s for d, s in sem + L['keyword_cosines']}
    sem_rank = {d: r for r, (d, _) in enumerate(sem)}
    for d in set(score) | set(sem_rank):
        score[d] += a * min(max(cos[d], 0), 1)**cosp
        best[d] = min(best.get(d, 1 << 30), sem_rank.get(d, 100 + best.get(d, 0)))
        if rrf and d in sem_rank: score[d] += rrf / (rrf_k + sem_rank[d] + 1)
    if agree:
        kt = {d for d, _ in kw[:agree_k]}; st = {d for d, _ in sem[:agree_k]}
        for d in kt & st: score[d] += agree
    ranked = sorted(score, key=lambda d: (-score[d], best[d], d))
    exact, authored = L['exact'], L['authored']
    ranked += [d for d in exact + authored if d not in score]
    ranked.sort(key=lambda d: (d not in exact, d not in authored))
    return ranked


sep = sys.argv.index('--') if '--' in sys.argv else len(sys.argv)
SETS = {}
for arg in sys.argv[1:sep]:
    name, runs, *queries = arg.split('=')
    SETS[name] = (runs, queries[0] if queries else None)
data = {n: load(*v) for n, v in SETS.items()}


def evaluate(**kw):
    out = {}
    for n, (qrels, legs, kinds) in data.items():
        res = {q: ndcg10(fuse(legs[q], **kw), qrels[q]) for q in qrels if q in legs}
        out[n] = mean(res)
        if kinds and not n.endswith('-train'):
            for cat, members in [('topical', ('topic', 'method', 'problem')), ('exact', ('exact',)),
                                 ('paraphrase', ('paraphrase',))]:
                out[f'{n} {cat}'] = mean(res, [q for q in res if kinds.get(q) in members])
    train = [v for k, v in out.items() if k.endswith('-train')]
    out['train mean'] = sum(train) / len(train) if train else float('nan')
    return out


first = evaluate()
cols = ['train mean'] + [c for c in first if c != 'train mean']
width = {c: max(len(c), 6) for c in cols}
print(f'{"run":28s} ' + ' '.join(f'{c:>{width[c]}s}' for c in cols))
for spec in ['alpha=0.4'] + sys.argv[sep + 1:]:
    o = evaluate(**eval(f'dict({spec})'))
    print(f'{spec:28s} ' + ' '.join(f'{o[c]:{width[c]}.4f}' for c in cols), flush=True)
