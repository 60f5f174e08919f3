# What the experiment scripts (windows/fuse.py, hybrid_feedback/levers.py)
# share: TREC qrels, nDCG@10 as `eval` computes it, and the columns of a
# summary (each set, plus the shipped list's categories when its queries
# file is given), and the keyword index's analyser.
import collections, json, math, re

STOP = set('a an and are as at be but by for if in into is it no not of on or such that the their '
           'then there these they this to was will with'.split())
WORD = re.compile(r'\w+')
_stem = None


def analyse(text):
    """The keyword index's analyser: \\w+ words, lower case, Lucene's English
    stop words, Snowball English stems (needs snowballstemmer)."""
    global _stem
    if _stem is None:
        import snowballstemmer
        _stem = snowballstemmer.stemmer('english').stemWord
    return [_stem(w.lower()) for w in WORD.findall(text)
            if len(w.encode()) < 40 and w.lower() not in STOP]


def load_qrels(path):
    q = collections.defaultdict(dict)
    for line in open(path):
        qid, _, doc, rel = line.split()
        q[qid][doc] = int(rel)
    return q


def load_beir_qrels(path):
    """A BEIR qrels file (query-id, corpus-id, score; a header line) -> {query: {doc: grade}},
    every grade kept, 0 too."""
    q = collections.defaultdict(dict)
    for line in list(open(path))[1:]:
        qid, doc, rel = line.split('\t')[:3]
        q[qid][doc] = int(rel)
    return q


def ndcg10(ranked, rels):
    dcg = sum(rels.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
    ideal = sorted((r for r in rels.values() if r > 0), reverse=True)[:10]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def mean(d, keys=None):
    keys = list(d) if keys is None else keys
    return sum(d[k] for k in keys) / len(keys) if keys else float('nan')


def query_kinds(queries):
    """Query id -> metadata.kind of a BEIR queries file (the shipped judgments)."""
    kinds = {}
    for line in open(queries):
        q = json.loads(line)
        kinds[q['_id']] = q.get('metadata', {}).get('kind', '')
    return kinds


def load_sets(args, make):
    """NAME=RUN_DIR=VECS.npz[=QUERIES.jsonl] arguments -> ({name: make(runs, npz, queries)},
    columns): a column per set, then one per category of a set given its queries."""
    sets = {}
    for arg in args:
        name, runs, npz, *queries = arg.split('=')
        sets[name] = make(runs, npz, queries[0] if queries else None)
    return sets, columns(sets)


def columns(sets):
    """(label, set name, query ids or None for all) per set, then one per
    category of a set whose `kind` names them (the shipped list's)."""
    out = []
    for name, s in sets.items():
        out.append((name, name, None))
        for cat, members in [('topical', ('topic', 'method', 'problem')), ('exact', ('exact',)),
                             ('paraphrase', ('paraphrase',))]:
            qs = [q for q in s.qids if s.kind.get(q) in members]
            if qs:
                out.append((cat, name, qs))
    return out
