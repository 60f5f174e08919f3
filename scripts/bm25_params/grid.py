# Would BM25 parameters other than tantivy's fixed k1 1.2, b .75 help? tantivy
# has no setting for them, so this re-does the keyword leg in Python (the
# index's analyser: \w+ words, Lucene's English stop words, Snowball English
# stems; BM25 per field, title .5 + abstract 1; no typo corrections) and fuses
# it as the default does (bounded alpha .4 over each leg's top 100, every
# candidate with its exact cosine). At k1 1.2, b .75 it comes within .002 of
# `eval` on SciFact train (keyword .6950 vs .6961, default .7332 vs .7349).
#
# usage: grid.py BEIR_DIR VECS.npz K1:B:ALPHA[:TITLE_B] ...
#   VECS.npz from ../hybrid_feedback/embed_queries.py (the index's paper
#   vectors and every query's vector)
# needs: numpy snowballstemmer
import collections, json, math, os, sys
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from judged_sets import analyse, load_beir_qrels, mean, ndcg10  # noqa: E402

FIELDS = {'title': 0.5, 'text': 1.0}


beir, npz, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
docs = [json.loads(line) for line in open(f'{beir}/corpus.jsonl')]
order = [d['_id'] for d in docs]
z = np.load(npz)
row = {d: i for i, d in enumerate(z['ids'])}
stored, qvec = z['stored'], dict(zip(z['qids'], z['qvecs']))
length = {f: [] for f in FIELDS}
df = {f: collections.Counter() for f in FIELDS}
postings = {f: collections.defaultdict(list) for f in FIELDS}
for i, d in enumerate(docs):
    for f in FIELDS:
        words = analyse(d.get(f) or '')
        length[f].append(len(words))
        for t, n in collections.Counter(words).items():
            postings[f][t].append((i, n))
            df[f][t] += 1
N = len(docs)
avg = {f: sum(length[f]) / N for f in FIELDS}
queries = {q['_id']: q['text'] for q in map(json.loads, open(f'{beir}/queries.jsonl'))}


def qrels(split):
    return load_beir_qrels(f'{beir}/qrels/{split}.tsv')


splits = {s: qrels(s) for s in ('train', 'test') if os.path.exists(f'{beir}/qrels/{s}.tsv')}


def keyword(q, k1, b, title_b):
    score, bound = collections.defaultdict(float), 0.0
    for f, boost in FIELDS.items():
        fb = title_b if f == 'title' and title_b is not None else b
        for t in set(analyse(queries[q])):
            n = df[f].get(t, 0)
            if not n:
                continue
            idf = math.log(1 + (N - n + 0.5) / (n + 0.5))
            bound += idf * (k1 + 1) * boost
            for i, tf in postings[f][t]:
                norm = k1 * (1 - fb + fb * length[f][i] / avg[f])
                score[i] += boost * idf * tf * (k1 + 1) / (tf + norm)
    top = sorted(score.items(), key=lambda x: -x[1])[:100]
    return [(order[i], s) for i, s in top], bound


def run(judged, k1, b, alpha, title_b):
    kw_ndcg, fused_ndcg = {}, {}
    for q, rels in judged.items():
        cos = stored @ qvec[q]
        kw, bound = keyword(q, k1, b, title_b)
        score = collections.defaultdict(float)
        for d, s in kw:
            score[d] += (1 - alpha) * (min(s / bound, 1) if bound > 0 else 0)
        for d in set(score) | {z['ids'][j] for j in np.argsort(-cos, kind='stable')[:100]}:
            score[d] += alpha * max(float(cos[row[d]]), 0)
        kw_ndcg[q] = ndcg10([d for d, _ in kw], rels)
        fused_ndcg[q] = ndcg10(sorted(score, key=lambda d: -score[d]), rels)
    return mean(kw_ndcg), mean(fused_ndcg)


print('k1   b    title_b alpha  ' + '  '.join(f'{s} keyword / default' for s in splits))
for spec in specs:
    k1, b, alpha, *title_b = map(float, spec.split(':'))
    title_b = title_b[0] if title_b else None
    cells = ['{:.4f} / {:.4f}'.format(*run(j, k1, b, alpha, title_b)) for j in splits.values()]
    print(f'{k1:<4} {b:<4} {str(title_b):7s} {alpha:<5}  ' + '  '.join(f'{c:>24s}' for c in cells), flush=True)
