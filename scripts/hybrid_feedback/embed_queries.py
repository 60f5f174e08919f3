# Embeds a judged set's queries exactly as mmsearch does (all-MiniLM-L6-v2,
# mean pooling, unit length, 256 word pieces) and saves them beside the
# index's stored paper vectors, for levers.py. With PIECES it embeds every
# paper again from its first PIECES word pieces of "title. abstract" (the
# index reads 254; BERT's positions reach 510) and saves those instead,
# after checking that at 254 they are the stored vectors.
# usage: embed_queries.py INDEX_DIR QUERIES.jsonl OUT.npz [MODELS_DIR [PIECES]]
# needs: numpy onnxruntime==1.24.4 tokenizers
import json, sys
import numpy as np, onnxruntime as ort
from tokenizers import Tokenizer

M = (sys.argv[4] if len(sys.argv) > 4 else 'models') + '/all-MiniLM-L6-v2'
tok = Tokenizer.from_file(f'{M}/tokenizer.json'); tok.no_truncation(); tok.no_padding()
so = ort.SessionOptions(); so.intra_op_num_threads = 1
sess = ort.InferenceSession(f'{M}/model.onnx', so)
CLS, SEP = tok.token_to_id('[CLS]'), tok.token_to_id('[SEP]')


def run(seq):
    ids = np.array([seq], np.int64); mask = np.ones_like(ids)
    out = sess.run(None, {'input_ids': ids, 'attention_mask': mask, 'token_type_ids': np.zeros_like(ids)})[0]
    v = out.mean(1)
    return v / (np.linalg.norm(v, axis=1, keepdims=True) + 1e-12)


idx_dir, queries_file, out = sys.argv[1], sys.argv[2], sys.argv[3]
gen = f'{idx_dir}/current'
papers = json.load(open(f'{gen}/papers.json'))
stored = np.fromfile(f'{gen}/vectors.f32', np.float32).reshape(-1, 384)
qs = [json.loads(l) for l in open(queries_file)]
qv = np.concatenate([run([CLS] + tok.encode(q['text'], add_special_tokens=False).ids[:254] + [SEP]) for q in qs])
if len(sys.argv) > 5:
    pieces = int(sys.argv[5])

    def text(p):
        a = p.get('abstract')
        return f"{p['title']}. {a}" if a and p['title'] else (a or p['title'])

    def paper(p, n):
        return run([CLS] + tok.encode(text(p), add_special_tokens=False).ids[:n] + [SEP])

    check = np.concatenate([paper(p, 254) for p in papers[:16]])
    print('254 pieces vs stored, max |diff|:', float(np.abs(check - stored[:16]).max()), file=sys.stderr)
    stored = np.concatenate([paper(p, pieces) for p in papers]).astype(np.float32)
np.savez(out, ids=np.array([p['id'] for p in papers]), qids=np.array([q['_id'] for q in qs]), qvecs=qv,
         stored=stored)
print(f'{len(qs)} queries, {len(papers)} papers', file=sys.stderr)
