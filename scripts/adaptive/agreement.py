# Would a per-query alpha help the default (bounded fusion + word feedback)?
# alpha moves with how much the two legs agree on their first 10 papers:
#   alpha_q = alpha + c * (0.5 - |keyword top 10 ∩ semantic top 10| / 10)
# (c > 0: legs that disagree lean on meaning; c < 0: on words). Everything
# else is rm3.py's re-fusion of the default (`fused:5:10:0.9`), whose c = 0
# row is eval's default.
#
# usage: agreement.py NAME=RUN_DIR=VECS.npz=INDEX_DIR=QUERIES.jsonl ... -- ALPHA:C ...
# needs: numpy snowballstemmer
import os, sys
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'keyword_feedback'))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import rm3  # noqa: E402
from judged_sets import columns, mean, ndcg10  # noqa: E402


def agreement(s, q):
    kw = [d for d, _ in s.legs[q]['keyword'][:10]]
    cos = s.stored @ s.qvec[q]
    sem = [s.ids_by_row[i] for i in np.argsort(-cos)[:10]]
    return len(set(kw) & set(sem)) / 10


def main():
    sep = sys.argv.index('--')
    sets = {}
    for arg in sys.argv[1:sep]:
        name, runs, npz, index_dir, queries = arg.split('=')
        sets[name] = rm3.Set(runs, npz, index_dir, queries)
    cols = columns(sets)
    train = [n for n in sets if n.endswith('-train')]
    agree = {n: {q: agreement(s, q) for q in s.qids} for n, s in sets.items()}
    for n in sets:
        print(f'{n}: mean agreement {mean(agree[n]):.3f}', flush=True)
    print('alpha:c        ' + ('train mean  ' if train else '') + '  '.join(f'{c:>10s}' for c, _, _ in cols))
    for spec in sys.argv[sep + 1:]:
        alpha, c = map(float, spec.split(':'))
        per = {n: {q: ndcg10(rm3.expanded(s, q, 'fused', 5, 10, 0.9,
                                          min(max(alpha + c * (0.5 - agree[n][q]), 0.0), 1.0)),
                             s.qrels[q]) for q in s.qids} for n, s in sets.items()}
        cells = [f'{mean(per[n], qs):10.4f}' for _, n, qs in cols]
        head = f'{sum(mean(per[n]) for n in train) / len(train):10.4f}  ' if train else ''
        print(f'{spec:15s}{head}' + '  '.join(cells), flush=True)


if __name__ == '__main__':
    main()
