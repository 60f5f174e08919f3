# Hybrid pseudo-relevance feedback, measured before it is built: the query
# vector is moved toward the papers the *fused* ranking puts first (the
# keyword leg's evidence, not only the semantic leg's own top hits, which
# lost as feedback: README), then the candidates are scored again with the
# moved vector and fused again. The legs, bound, exact and author matches
# come from `mmsearch eval --run-out DIR` (legs.jsonl); the vectors from
# embed_queries.py. The first run reproduces eval's default exactly.
#
# usage: levers.py NAME=RUN_DIR=VECS.npz[=QUERIES.jsonl] ...
import collections, json, os, sys
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from judged_sets import load_qrels, load_sets, mean, ndcg10, query_kinds  # noqa: E402


def bounded(legs, cos, alpha, position):
    """The default: alpha * cosine + (1 - alpha) * BM25 / bound over both legs'
    candidates, `cos` giving every candidate's cosine; exact then authored first."""
    score, best = collections.defaultdict(float), {}
    bound = legs['keyword_bound']
    for r, (d, sc) in enumerate(legs['keyword']):
        score[d] += (1 - alpha) * (min(max(sc / bound, 0), 1) if bound > 0 else 0)
        best[d] = min(best.get(d, 1 << 30), r)
    sem_rank = {d: r for r, (d, _) in enumerate(legs['semantic'])}
    for d in set(score) | set(sem_rank):
        score[d] += alpha * min(max(cos[d], 0), 1)
        best[d] = min(best.get(d, 1 << 30), sem_rank.get(d, 100 + best.get(d, 0)))
    ranked = sorted(score, key=lambda d: (-score[d], best[d], position[d]))
    exact, authored = legs['exact'], legs['authored']
    ranked += [d for d in exact + authored if d not in score]
    ranked.sort(key=lambda d: (d not in exact, d not in authored))
    return ranked, score


class Set:
    def __init__(self, runs, npz, queries=None):
        self.qrels = load_qrels(f'{runs}/qrels.txt')
        self.legs = {json.loads(l)['query']: json.loads(l) for l in open(f'{runs}/legs.jsonl')}
        z = np.load(npz)
        self.ids = list(z['ids'])
        self.row = {d: i for i, d in enumerate(self.ids)}
        self.stored = z['stored']
        qv = dict(zip(z['qids'], z['qvecs']))
        self.kind = query_kinds(queries) if queries else {}
        self.qids = [q for q in self.qrels if q in self.legs]
        self.qvec = {q: qv[q] for q in self.qids}

    def leg_cos(self, q):
        legs = self.legs[q]
        return {d: s for d, s in legs['semantic'] + legs['keyword_cosines']}

    def run(self, alpha=0.4, k=0, w=0.0, rescore='candidates', weighting='uniform'):
        out = {}
        for q in self.qids:
            legs = self.legs[q]
            cos = self.leg_cos(q)
            ranked, score = bounded(legs, cos, alpha, self.row)
            if k > 0 and w > 0:
                top = ranked[:k]
                vt = self.stored[[self.row[d] for d in top]]
                if weighting == 'score':
                    sw = np.array([max(score.get(d, 0), 0) for d in top], np.float32)
                    centroid = (vt * sw[:, None]).sum(0) / max(sw.sum(), 1e-9)
                else:
                    centroid = vt.mean(0)
                moved = (1 - w) * self.qvec[q] + w * centroid
                moved /= np.linalg.norm(moved)
                if rescore == 'candidates':
                    cands = list(cos)
                    new = self.stored[[self.row[d] for d in cands]] @ moved
                    cos2 = dict(zip(cands, map(float, new)))
                    ranked, _ = bounded(legs, cos2, alpha, self.row)
                else:  # a second semantic search with the moved vector
                    allcos = self.stored @ moved
                    top100 = np.argsort(-allcos, kind='stable')[:100]
                    legs2 = dict(legs, semantic=[(self.ids[j], float(allcos[j])) for j in top100])
                    cos2 = {self.ids[j]: float(allcos[j]) for j in top100}
                    for d, _ in legs['keyword']:
                        cos2[d] = float(allcos[self.row[d]])
                    ranked, _ = bounded(legs2, cos2, alpha, self.row)
            out[q] = ndcg10(ranked, self.qrels[q])
        return out


def main():
    sets, columns = load_sets(sys.argv[1:], Set)
    print(f'{"run":38s} ' + ' '.join(f'{c[:10]:>10s}' for c, _, _ in columns))

    def show(label, **kw):
        res = {n: s.run(**kw) for n, s in sets.items()}
        print(f'{label:38s} ' + ' '.join(f'{mean(res[n], qs):10.4f}' for _, n, qs in columns), flush=True)

    for alpha in [.35, .4, .45]:
        show(f'bounded {alpha}', alpha=alpha)
    for alpha in [.35, .4, .45]:
        for weighting in ['uniform', 'score']:
            for k in [2, 3, 5, 10]:
                for w in [.1, .2, .3, .4]:
                    show(f'a{alpha} {weighting} k{k} w{w}', alpha=alpha, k=k, w=w, weighting=weighting)


if __name__ == '__main__':
    main()
