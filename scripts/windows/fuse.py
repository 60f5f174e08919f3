# Re-fuses mmsearch's legs with a semantic leg computed from window vectors
# (embed_windows.py), to decide semantic-leg levers on every judged set before
# building them into the index. The keyword leg, its bound and the exact and
# author matches come from `mmsearch eval --run-out DIR` (legs.jsonl); the
# fusion is the default's (or RRF): bounded alpha * cosine + (1 - alpha) * BM25 / bound
# over each leg's top 100, exact lookups then the author's papers first.
# With the full-text leg it reproduces `eval`'s shipped figures exactly.
#
# usage: fuse.py NAME=RUN_DIR=WINDOWS.npz[=QUERIES.jsonl] ...
#   e.g. fuse.py shipped=runs/shipped-list=shipped.npz=index/judgments/queries.jsonl \
#                scifact=runs/scifact=scifact.npz
# QUERIES (with metadata.kind) adds the shipped list's categories.
import collections, json, os, sys
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from judged_sets import load_qrels, load_sets, mean, ndcg10, query_kinds  # noqa: E402


class Set:
    def __init__(self, runs, npz, queries=None):
        self.qrels = load_qrels(f'{runs}/qrels.txt')
        self.legs = {}
        for line in open(f'{runs}/legs.jsonl'):
            r = json.loads(line)
            self.legs[r['query']] = r
        z = np.load(npz)
        self.ids, owner = list(z['ids']), z['owner']
        self.position = {d: i for i, d in enumerate(self.ids)}  # ties: document order, as mmsearch
        qv = dict(zip(z['qids'], z['qvecs']))
        self.kind = query_kinds(queries) if queries else {}
        self.qids = [q for q in self.qrels if q in self.legs]
        n = len(self.ids)
        Q = np.stack([qv[q] for q in self.qids])
        win = Q @ z['vecs'].T
        self.legs_by_name = {'full text': Q @ z['stored'].T}
        best = np.full((len(self.qids), n), -1.0, np.float32)
        np.maximum.at(best.T, owner, win.T)
        self.legs_by_name['best window'] = best
        mean_cos = np.zeros((len(self.qids), n), np.float32)
        np.add.at(mean_cos.T, owner, win.T)
        self.legs_by_name['mean of windows'] = mean_cos / np.bincount(owner, minlength=n)
        avg = np.zeros((n, z['vecs'].shape[1]), np.float32)
        np.add.at(avg, owner, z['vecs'])
        self.legs_by_name['averaged vector'] = Q @ (avg / np.linalg.norm(avg, axis=1, keepdims=True)).T
        self.legs_by_name['full + max'] = (self.legs_by_name['full text'] + best) / 2

    def run(self, sem_matrix, alpha=0.3, fusion='bounded', top=100, k=10):
        out = {}
        for qi, q in enumerate(self.qids):
            legs = self.legs[q]
            s = sem_matrix[qi]
            sem = [(self.ids[j], float(s[j])) for j in np.argsort(-s, kind='stable')[:top]]
            kw = legs['keyword'] if fusion != 'semantic' else []
            sem = sem if fusion != 'keyword' else []
            score, best = collections.defaultdict(float), {}
            bound = legs['keyword_bound']
            for r, (d, sc) in enumerate(kw):
                norm = min(max(sc / bound, 0), 1) if bound > 0 else 0
                score[d] += {'keyword': sc, 'rrf': 1 / (k + r + 1)}.get(fusion, (1 - alpha) * norm)
                best[d] = min(best.get(d, 1 << 30), r)
            for r, (d, sc) in enumerate(sem):
                score[d] += {'semantic': sc, 'rrf': 1 / (k + r + 1)}.get(fusion, alpha * min(max(sc, 0), 1))
                best[d] = min(best.get(d, 1 << 30), r)
            ranked = sorted(score, key=lambda d: (-score[d], best[d], self.position[d]))
            exact = legs['exact']
            authored = legs['authored'] if fusion in ('bounded', 'rrf') else []
            ranked += [d for d in exact + authored if d not in score]
            ranked.sort(key=lambda d: (d not in exact, d not in authored))
            out[q] = ndcg10(ranked, self.qrels[q])
        return out


def main():
    sets, columns = load_sets(sys.argv[1:], Set)
    print('semantic leg      run       ' + ' '.join(f'{c:>10s}' for c, _, _ in columns))
    for leg in ['full text', 'best window', 'mean of windows', 'averaged vector', 'full + max']:
        for label, kw in [('semantic', {'fusion': 'semantic'}), ('default', {})]:
            res = {n: s.run(s.legs_by_name[leg], **kw) for n, s in sets.items()}
            print(f'{leg:17s} {label:9s} ' + ' '.join(f'{mean(res[n], qs):10.4f}' for _, n, qs in columns),
                  flush=True)
    print('\nrescaled per query: (cos - floor) / (top - floor), floor = the Nth best candidate')
    for leg in ['full text', 'full + max']:
        for depth in [30, 100]:
            for alpha in [.15, .2, .25]:
                res = {n: s.run(rescaled(s.legs_by_name[leg], depth), alpha=alpha) for n, s in sets.items()}
                label = f'N {depth} a {alpha}'
                print(f'{leg:17s} {label:9s} ' + ' '.join(f'{mean(res[n], qs):10.4f}' for _, n, qs in columns),
                      flush=True)


def rescaled(cosines, depth):
    ranked = -np.sort(-cosines, 1)
    k = min(depth - 1, cosines.shape[1] - 1)
    floor, top = ranked[:, k:k + 1], ranked[:, :1]
    return np.clip((cosines - floor) / (top - floor), 0, 1)


if __name__ == '__main__':
    main()
