# Would pseudo-relevance feedback on the keyword leg (RM3: the query expanded
# with the words of its first hits) help? The semantic leg's feedback and the
# fused-results feedback move the query *vector*; this one adds *words*, so a
# paraphrase that shares few words with its paper can reach it through the
# words of the papers it did find.
#
# From `eval --run-out` (legs.jsonl: the keyword leg's top 100 with its bound,
# the semantic top 100, the exact and author matches) and the index's papers
# and vectors: the first `docs` papers of the keyword leg (or of the fused
# ranking) weighted by their score give a word distribution (tf / length over
# title + abstract, the index's analyser); its `terms` best words that the
# query lacks are searched as BM25 (k1 1.2, b .75, title .5 + abstract 1, as
# the index does), and the keyword part becomes
#   lam * BM25 / bound + (1 - lam) * expansion BM25 / expansion bound,
# fused as the default (alpha * cosine + (1 - alpha) * keyword part, every
# candidate with its exact cosine, exact lookups then the author's papers
# first). The semantic leg is an exact scan over VECS.npz's paper vectors (eval
# scans the shipped list exactly, HNSW elsewhere), so vectors embedded another
# way (embed_queries.py PIECES) can be tried with it too. At lam 1 it is the
# default; its first row checks that against eval.
#
# usage: rm3.py NAME=RUN_DIR=VECS.npz=INDEX_DIR=QUERIES.jsonl ... -- SPEC ...
#   SPEC = SOURCE:DOCS:TERMS:LAM[:ALPHA], SOURCE kw or fused; e.g. kw:5:10:0.7
#   VECS.npz from ../hybrid_feedback/embed_queries.py; sets whose name ends
#   in -train decide (their mean is the first column); the shipped list's
#   queries (with metadata.kind) add its categories
# needs: numpy snowballstemmer
import collections, json, math, os, sys
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from judged_sets import analyse, columns, load_qrels, mean, ndcg10, query_kinds  # noqa: E402

K1, B = 1.2, 0.75
FIELDS = {'title': 0.5, 'abstract': 1.0}


class Set:
    def __init__(self, runs, npz, index_dir, queries):
        self.qrels = load_qrels(f'{runs}/qrels.txt')
        self.legs = {}
        for line in open(f'{runs}/legs.jsonl'):
            r = json.loads(line)
            self.legs[r['query']] = r
        self.qids = [q for q in self.qrels if q in self.legs]
        self.kind = {q: k for q, k in query_kinds(queries).items() if k}
        self.text = {j['_id']: j['text'] for j in map(json.loads, open(queries))}
        z = np.load(npz)
        self.ids_by_row = list(z['ids'])
        self.row = {d: i for i, d in enumerate(self.ids_by_row)}
        self.stored, self.qvec = z['stored'], dict(zip(z['qids'], z['qvecs']))
        papers = json.load(open(f'{index_dir}/current/papers.json'))
        self.ids = [p['id'] for p in papers]
        self.words = {}  # paper -> analysed words of title + abstract
        self.length = {f: [] for f in FIELDS}
        self.postings = {f: collections.defaultdict(list) for f in FIELDS}
        for i, p in enumerate(papers):
            both = []
            for f in FIELDS:
                words = analyse(p.get(f) or '')
                both += words
                self.length[f].append(len(words))
                for t, n in collections.Counter(words).items():
                    self.postings[f][t].append((i, n))
            self.words[p['id']] = collections.Counter(both)
        self.n = len(papers)
        self.avg = {f: max(sum(v) / self.n, 1e-9) for f, v in self.length.items()}

    def bm25(self, weights):
        """BM25 of weighted terms over title and abstract, and its bound."""
        score, bound = collections.defaultdict(float), 0.0
        for f, boost in FIELDS.items():
            for t, w in weights.items():
                plist = self.postings[f].get(t)
                if not plist:
                    continue
                idf = math.log(1 + (self.n - len(plist) + 0.5) / (len(plist) + 0.5))
                bound += w * idf * (K1 + 1) * boost
                for i, tf in plist:
                    norm = K1 * (1 - B + B * self.length[f][i] / self.avg[f])
                    score[self.ids[i]] += w * boost * idf * tf * (K1 + 1) / (tf + norm)
        return score, bound


def fused(s, q, keyword_part, alpha):
    """The default's fusion over a keyword part in 0..1 (paper -> value)."""
    legs = s.legs[q]
    cos = s.stored @ s.qvec[q]
    sem_rank = {s.ids_by_row[j]: r for r, j in enumerate(np.argsort(-cos, kind='stable')[:100])}
    kw_rank = {d: r for r, (d, _) in enumerate(sorted(keyword_part.items(), key=lambda x: -x[1]))}
    score, best = {}, {}
    for d in set(keyword_part) | set(sem_rank):
        c = float(cos[s.row[d]])
        score[d] = alpha * min(max(c, 0), 1) + (1 - alpha) * keyword_part.get(d, 0.0)
        best[d] = min(kw_rank.get(d, 1 << 30), sem_rank.get(d, 100 + kw_rank.get(d, 0)))
    ranked = sorted(score, key=lambda d: (-score[d], best[d], d))
    exact, authored = legs['exact'], legs['authored']
    ranked += [d for d in exact + authored if d not in score]
    ranked.sort(key=lambda d: (d not in exact, d not in authored))
    return ranked


def expanded(s, q, source, docs, terms, lam, alpha):
    legs = s.legs[q]
    bound = legs['keyword_bound']
    part = {d: (min(max(sc / bound, 0), 1) if bound > 0 else 0.0) for d, sc in legs['keyword']}
    if lam >= 1 or docs == 0:
        return fused(s, q, part, alpha)
    if source == 'kw':
        first = legs['keyword'][:docs]
    else:
        ranking = fused(s, q, part, alpha)[:docs]
        first = [(d, 1.0 / (r + 1)) for r, d in enumerate(ranking)]
    total = sum(max(w, 0) for _, w in first)
    if not first or total <= 0:
        return fused(s, q, part, alpha)
    own = set(analyse(s.text[q]))
    dist = collections.defaultdict(float)
    for d, w in first:
        words = s.words.get(d)
        if not words:
            continue
        size = sum(words.values())
        for t, n in words.items():
            dist[t] += (w / total) * n / size
    chosen = [t for t, _ in sorted(dist.items(), key=lambda x: -x[1]) if t not in own][:terms]
    weight_sum = sum(dist[t] for t in chosen)
    if not chosen or weight_sum <= 0:
        return fused(s, q, part, alpha)
    extra, extra_bound = s.bm25({t: dist[t] / weight_sum for t in chosen})
    mixed = {d: lam * v for d, v in part.items()}
    if extra_bound > 0:
        for d, v in sorted(extra.items(), key=lambda x: -x[1])[:100]:
            mixed[d] = mixed.get(d, 0.0) + (1 - lam) * min(v / extra_bound, 1)
    return fused(s, q, mixed, alpha)


def main():
    sep = sys.argv.index('--') if '--' in sys.argv else len(sys.argv)
    sets = {}
    for arg in sys.argv[1:sep]:
        name, runs, npz, index_dir, queries = arg.split('=')
        sets[name] = Set(runs, npz, index_dir, queries)
    specs = sys.argv[sep + 1:] or ['kw:0:0:1']
    cols = columns(sets)
    train = [n for n in sets if n.endswith('-train')]
    print('spec                  ' + ('train mean  ' if train else '') + '  '.join(f'{c:>10s}' for c, _, _ in cols))
    for spec in specs:
        source, docs, terms, lam, *alpha = spec.split(':')
        alpha = float(alpha[0]) if alpha else 0.4
        per = {}
        for name, s in sets.items():
            per[name] = {q: ndcg10(expanded(s, q, source, int(docs), int(terms), float(lam), alpha), s.qrels[q])
                         for q in s.qids}
        cells = [f'{mean(per[n], qs):10.4f}' for _, n, qs in cols]
        head = f'{sum(mean(per[n]) for n in train) / len(train):10.4f}  ' if train else ''
        print(f'{spec:22s}{head}' + '  '.join(cells), flush=True)


if __name__ == '__main__':
    main()
