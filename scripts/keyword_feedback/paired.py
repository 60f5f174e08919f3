# How sure is a difference between two rankings on the train splits? A
# paired bootstrap over the judged queries: each draw resamples every set's
# queries (with replacement), scores both rankings on the same draw as the
# mean over sets of each set's mean nDCG@10 (what `eval --tune` maximises),
# and counts how often B beats A.
#
# Both rankings come from rm3.py's re-fusion, so each side may have its own
# legs and vectors (e.g. A over the old index with kw:0:0:1, which is eval's
# default exactly, B over a re-embedded one with word feedback):
#
# usage: paired.py A:NAME=RUNS=VECS.npz=INDEX_DIR=QUERIES.jsonl ...
#                  B:NAME=RUNS=VECS.npz=INDEX_DIR=QUERIES.jsonl ... -- SPEC_A SPEC_B
#   the same set NAMEs on both sides; SPEC as rm3.py's (SOURCE:DOCS:TERMS:LAM[:ALPHA])
# needs: numpy snowballstemmer
import os, random, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import rm3  # noqa: E402
from judged_sets import ndcg10  # noqa: E402

DRAWS = 2000


def per_query(sets, spec):
    source, docs, terms, lam, *alpha = spec.split(':')
    alpha = float(alpha[0]) if alpha else 0.4
    return {name: {q: ndcg10(rm3.expanded(s, q, source, int(docs), int(terms), float(lam), alpha), s.qrels[q])
                   for q in s.qids} for name, s in sets.items()}


def score(values, draw):
    return sum(sum(values[n][q] for q in qs) / len(qs) for n, qs in draw.items()) / len(draw)


def main():
    sep = sys.argv.index('--')
    sides = {'A': {}, 'B': {}}
    for arg in sys.argv[1:sep]:
        side, spec = arg.split(':', 1)
        name, runs, npz, index_dir, queries = spec.split('=')
        sides[side][name] = rm3.Set(runs, npz, index_dir, queries)
    spec_a, spec_b = sys.argv[sep + 1:sep + 3]
    if set(sides['A']) != set(sides['B']) or not sides['A']:
        sys.exit('paired.py: give the same set names on both sides')
    a, b = per_query(sides['A'], spec_a), per_query(sides['B'], spec_b)
    queries = {n: sorted(set(a[n]) & set(b[n])) for n in a}
    everything = dict(queries)
    print(f'A {spec_a}: {score(a, everything):.4f}   B {spec_b}: {score(b, everything):.4f}')
    rnd = random.Random(1)
    wins = 0
    for _ in range(DRAWS):
        draw = {n: [rnd.choice(qs) for _ in qs] for n, qs in queries.items()}
        wins += score(b, draw) > score(a, draw)
    print(f'B above A on {wins / DRAWS:.1%} of {DRAWS} bootstrap draws')


if __name__ == '__main__':
    main()
