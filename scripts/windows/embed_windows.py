# Embeds every paper of a built mmsearch index as overlapping windows of word
# pieces (title + ". " + abstract; 254 pieces, stride 127: the first window is
# the vector the index stores), and the queries, for fuse.py. Checks the first
# windows against the stored vectors before it starts.
# usage: embed_windows.py INDEX_DIR QUERIES.jsonl OUT.npz [MODELS_DIR]
# needs: numpy onnxruntime==1.24.4 tokenizers
import json, os, sys, time
import numpy as np, onnxruntime as ort
from tokenizers import Tokenizer

M = (sys.argv[4] if len(sys.argv) > 4 else 'models') + '/all-MiniLM-L6-v2'
tok = Tokenizer.from_file(f'{M}/tokenizer.json'); tok.no_truncation(); tok.no_padding()
so = ort.SessionOptions(); so.intra_op_num_threads = 1
sess = ort.InferenceSession(f'{M}/model.onnx', so)
CLS, SEP = tok.token_to_id('[CLS]'), tok.token_to_id('[SEP]')
W, STRIDE = 254, 127

def run(seqs):
    n = max(len(s) for s in seqs)
    ids = np.zeros((len(seqs), n), np.int64); mask = np.zeros_like(ids)
    for i, s in enumerate(seqs): ids[i, :len(s)] = s; mask[i, :len(s)] = 1
    out = sess.run(None, {'input_ids': ids, 'attention_mask': mask, 'token_type_ids': np.zeros_like(ids)})[0]
    m = mask[..., None].astype(np.float32)
    v = (out * m).sum(1) / np.maximum(m.sum(1), 1e-9)
    return v / (np.linalg.norm(v, axis=1, keepdims=True) + 1e-12)

def windows(text):
    pieces = tok.encode(text, add_special_tokens=False).ids
    out, start = [], 0
    while True:
        out.append([CLS] + pieces[start:start + W] + [SEP])
        if start + W >= len(pieces): break
        start += STRIDE
    return out

def embed_all(seqs, batch=8):
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    vecs = np.zeros((len(seqs), 384), np.float32)
    t = time.time()
    for b in range(0, len(order), batch):
        idx = order[b:b + batch]
        vecs[idx] = run([seqs[i] for i in idx])
        if b % 800 == 0: print(f'{b}/{len(seqs)} {time.time()-t:.0f}s', file=sys.stderr, flush=True)
    return vecs

def text(p):
    a = p.get('abstract')
    if a and p['title']: return f"{p['title']}. {a}"
    return a if a else p['title']

idx_dir, queries_file, out = sys.argv[1], sys.argv[2], sys.argv[3]
gen = f'{idx_dir}/current'  # the live generation
papers = json.load(open(f'{gen}/papers.json'))
stored = np.fromfile(f'{gen}/vectors.f32', np.float32).reshape(-1, 384)
seqs, owner = [], []
for i, p in enumerate(papers):
    for w in windows(text(p)): seqs.append(w); owner.append(i)
owner = np.array(owner)
print(f'{len(papers)} papers, {len(seqs)} windows ({len(seqs)/len(papers):.2f}x)', file=sys.stderr)
first = np.array([np.where(owner == i)[0][0] for i in range(len(papers))])
check = run([seqs[j] for j in first[:16]])
print('window 0 vs stored, max |diff|:', float(np.abs(check - stored[:16]).max()), file=sys.stderr)
vecs = embed_all(seqs)
qs = [json.loads(l) for l in open(queries_file)]
qv = np.concatenate([run([[CLS] + tok.encode(q['text'], add_special_tokens=False).ids[:254] + [SEP]]) for q in qs])
np.savez(out, vecs=vecs, owner=owner, first=first, ids=np.array([p['id'] for p in papers]),
         qids=np.array([q['_id'] for q in qs]), qvecs=qv, stored=stored)
print('done', file=sys.stderr)
