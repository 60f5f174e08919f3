# The issue-12 Python baseline, rebuilt so that mmsearch is compared with it on
# every judged set the project has, in the same run: bm25s (Lucene BM25, k1
# 1.5, b .75, English stop words, Snowball stems) + the same MiniLM (256 word
# pieces, mean pooling, exact cosine over every paper) + RRF k 60 over each
# leg's top 100. Then `mmsearch eval --json` on the same sets, and one table.
#
# usage: baseline.py [--mmsearch BIN] [--split test|train] [--cache DIR]
#                    [--index-dir DIR] SET...
#   SET is shipped (the shipped list and its judgments, read through
#   `mmsearch export`) or a BEIR directory (corpus.jsonl, queries.jsonl,
#   qrels/SPLIT.tsv).
# needs: numpy onnxruntime==1.24.4 tokenizers bm25s==0.3.16 PyStemmer==3.1.0
import argparse, json, os, subprocess, sys, tempfile
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from judged_sets import load_beir_qrels, ndcg10, query_kinds  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL = os.path.join(ROOT, 'models', 'all-MiniLM-L6-v2')
TOPICAL = {'topic', 'method', 'problem'}


def read_set(arg, mmsearch):
    """-> (name, [(id, keyword text, embedded text)], queries {id: text}, qrels dir, kinds)."""
    if arg == 'shipped':
        out = os.path.join(tempfile.mkdtemp(), 'shipped.jsonl')
        with tempfile.TemporaryDirectory() as idx:
            subprocess.run([mmsearch, '--index-dir', idx, 'export', '--out', out],
                           check=True, capture_output=True)
        docs = []
        for line in open(out):
            p = json.loads(line)
            title, abstract = p['title'], p.get('abstract') or ''
            docs.append((p['id'], ' '.join([title, ' '.join(p['authors']), abstract]),
                         f'{title}. {abstract}' if abstract else title))
        judged = os.path.join(ROOT, 'index', 'judgments')
        return 'shipped list', docs, judged, query_kinds(os.path.join(judged, 'queries.jsonl'))
    docs = []
    for line in open(os.path.join(arg, 'corpus.jsonl')):
        p = json.loads(line)
        text = f"{p.get('title', '')} {p['text']}".strip()
        docs.append((p['_id'], text, text))
    return os.path.basename(os.path.normpath(arg)), docs, arg, {}


class MiniLM:
    def __init__(self):
        import onnxruntime as ort
        from tokenizers import Tokenizer
        self.tok = Tokenizer.from_file(os.path.join(MODEL, 'tokenizer.json'))
        self.tok.no_padding()
        self.tok.enable_truncation(256)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 2
        self.session = ort.InferenceSession(os.path.join(MODEL, 'model.onnx'), options)

    def embed(self, texts, batch=8):
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), 384), np.float32)
        for start in range(0, len(order), batch):
            chunk = order[start:start + batch]
            enc = [self.tok.encode(texts[i]) for i in chunk]
            width = max(len(e.ids) for e in enc)
            ids = np.zeros((len(enc), width), np.int64)
            mask = np.zeros_like(ids)
            for row, e in enumerate(enc):
                ids[row, :len(e.ids)] = e.ids
                mask[row, :len(e.ids)] = 1
            hidden = self.session.run(None, {'input_ids': ids, 'attention_mask': mask,
                                             'token_type_ids': np.zeros_like(ids)})[0]
            m = mask[..., None].astype(np.float32)
            v = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
            out[chunk] = v / np.linalg.norm(v, axis=1, keepdims=True)
        return out


def load_qrels(path):
    """The positive judgments of a BEIR qrels file; a query with none is not judged."""
    judged = {q: {d: g for d, g in docs.items() if g > 0}
              for q, docs in load_beir_qrels(path).items()}
    return {q: docs for q, docs in judged.items() if docs}


def rrf(*rankings, k=60):
    score = {}
    for ranking in rankings:
        for rank, doc in enumerate(ranking):
            score[doc] = score.get(doc, 0.0) + 1.0 / (k + rank + 1)
    return sorted(score, key=lambda d: -score[d])


def baseline(docs, queries, model, cache):
    import bm25s, Stemmer
    stemmer = Stemmer.Stemmer('english')
    ids = [d[0] for d in docs]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize([d[1] for d in docs], stopwords='en', stemmer=stemmer,
                                   show_progress=False), show_progress=False)
    if cache and os.path.exists(cache):
        vectors = np.load(cache)
    else:
        vectors = model.embed([d[2] for d in docs])
        if cache:
            np.save(cache, vectors)
    qids = list(queries)
    tokens = bm25s.tokenize([queries[q] for q in qids], stopwords='en', stemmer=stemmer,
                            show_progress=False)
    top = min(100, len(docs))
    found, _ = retriever.retrieve(tokens, k=top, show_progress=False)
    qvec = model.embed([queries[q] for q in qids])
    runs = {'keyword': {}, 'semantic': {}, 'baseline': {}}
    for row, q in enumerate(qids):
        keyword = [ids[j] for j in found[row]]
        semantic = [ids[j] for j in np.argsort(-(vectors @ qvec[row]))[:top]]
        runs['keyword'][q], runs['semantic'][q] = keyword, semantic
        runs['baseline'][q] = rrf(keyword, semantic)
    return runs


def mmsearch_default(mmsearch, arg, split, index_dir):
    """-> {'': the default's nDCG@10, category: its nDCG@10 on that category}."""
    cmd = [mmsearch, 'eval', '--json', '--split', split]
    cmd += ['--shipped'] if arg == 'shipped' else ['--beir', arg]
    if index_dir:
        cmd += ['--index-dir', index_dir]
    doc = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    default = doc['default_run']
    figures = {'': doc['runs'][default]['ndcg@10']}
    for category, found in (doc.get('categories') or {}).items():
        figures[category] = found['runs'][default]['ndcg@10']
    return figures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mmsearch', default=os.path.join(ROOT, 'target', 'release', 'mmsearch'))
    ap.add_argument('--split', default='test')
    ap.add_argument('--cache', help='keep each set\'s vectors here')
    ap.add_argument('--index-dir', help='mmsearch eval --index-dir (DIR/<set>)')
    ap.add_argument('sets', nargs='+')
    args = ap.parse_args()
    model = MiniLM()
    print('| set | queries | bm25s | MiniLM | baseline (RRF k 60) | mmsearch default | default − baseline |')
    print('|---|---|---|---|---|---|---|')
    for arg in args.sets:
        name, docs, judged, kinds = read_set(arg, args.mmsearch)
        qrels = load_qrels(os.path.join(judged, 'qrels', f'{args.split}.tsv'))
        queries = {}
        for line in open(os.path.join(judged, 'queries.jsonl')):
            q = json.loads(line)
            if q['_id'] in qrels:
                queries[q['_id']] = q['text']
        cache = os.path.join(args.cache, f'{name.replace(" ", "-")}.npy') if args.cache else None
        if args.cache:
            os.makedirs(args.cache, exist_ok=True)
        runs = baseline(docs, queries, model, cache)
        index_dir = os.path.join(args.index_dir, name.split()[0]) if args.index_dir else None
        ours = mmsearch_default(args.mmsearch, arg, args.split, index_dir)
        groups = [(name, list(queries))]
        if kinds:
            for label, members in [('topical', TOPICAL), ('exact', {'exact'}),
                                   ('author', {'author'}), ('paraphrase', {'paraphrase'})]:
                groups.append((f'  {label}', [q for q in queries if kinds.get(q) in members]))
        for label, qs in groups:
            if not qs:  # a split without this kind of query (the holdout has no author queries)
                continue
            cells = [sum(ndcg10(runs[r][q], qrels[q]) for q in qs) / len(qs)
                     for r in ('keyword', 'semantic', 'baseline')]
            mine = ours.get('' if label == name else label.strip())
            print(f'| {label} | {len(qs)} | ' + ' | '.join(f'{c:.4f}' for c in cells)
                  + (f' | {mine:.4f} | {mine - cells[2]:+.4f} |' if mine is not None else ' | | |'))


if __name__ == '__main__':
    main()
