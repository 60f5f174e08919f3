#!/usr/bin/env python3
# Convert sentence-transformers/all-MiniLM-L6-v2 (fp32 safetensors) into an
# ONNX BERT encoder graph, without torch/transformers.
#
# Setup (Python 3.11):
#   pip install numpy==2.4.6 onnx==1.23.2 protobuf==7.36.2 ml_dtypes==0.6.0 typing_extensions==4.16.0
#
# Usage:
#   python3 convert_minilm.py SAFETENSORS_DIR OUT_ONNX
#   (SAFETENSORS_DIR holds model.safetensors and config.json)
#
# The graph matches what an HF/optimum export of BertModel looks like to
# fastembed: inputs input_ids, attention_mask, token_type_ids (int64,
# [batch, seq]); output last_hidden_state (float32, [batch, seq, hidden]).
# Pooling (mean over the attention mask) and L2 normalisation are done by
# fastembed, so they are deliberately not in the graph; neither is BERT's
# pooler (tanh dense on [CLS]), which sentence-transformers does not use.
#
# Output is byte-for-byte deterministic for a given input and onnx/protobuf
# version: no timestamps, fixed node names, initializers in a fixed order.

import json
import struct
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# Opset 17 is the first with LayerNormalization and is supported by every
# onnxruntime the Rust `ort` crate has shipped with in years; IR version 8 is
# the one that goes with opset 17, so older runtimes accept the file (onnx's
# own default IR version is newer than many runtimes understand).
OPSET = 17
IR_VERSION = 8


def read_safetensors(path):
    """Minimal safetensors reader: u64 LE header length, JSON header, raw data."""
    raw = Path(path).read_bytes()
    (hlen,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + hlen])
    data = memoryview(raw)[8 + hlen :]
    dtypes = {"F32": "<f4", "I64": "<i8"}
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in dtypes:
            raise ValueError(f"{name}: unsupported dtype {info['dtype']}")
        start, end = info["data_offsets"]
        arr = np.frombuffer(data[start:end], dtype=dtypes[info["dtype"]])
        tensors[name] = arr.reshape(info["shape"])
    return tensors


class GraphBuilder:
    """Collects nodes/initializers with predictable, sequential names."""

    def __init__(self):
        self.nodes, self.inits, self.count = [], [], 0

    def const(self, name, array):
        # Contiguous copy (e.g. of a transposed view) so raw_data is exactly this.
        arr = np.ascontiguousarray(array)
        self.inits.append(numpy_helper.from_array(arr, name))
        return name

    def op(self, op_type, inputs, out=None, **attrs):
        self.count += 1
        out = out or f"{op_type.lower()}_{self.count}"
        self.nodes.append(
            helper.make_node(op_type, inputs, [out], name=f"{op_type}_{self.count}", **attrs)
        )
        return out


def build(weights, cfg):
    hidden = cfg["hidden_size"]
    heads = cfg["num_attention_heads"]
    head_dim = hidden // heads
    eps = float(cfg["layer_norm_eps"])
    if cfg.get("hidden_act") != "gelu":
        raise ValueError("only exact (erf) gelu is implemented")
    if cfg.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError("only absolute position embeddings are implemented")

    g = GraphBuilder()
    f32 = lambda x: np.array(x, dtype=np.float32)
    i64 = lambda x: np.array(x, dtype=np.int64)
    w = lambda name: g.const(name, weights[name].astype(np.float32))
    # nn.Linear stores [out, in]; MatMul wants [in, out], so transpose once here.
    wt = lambda name: g.const(name, weights[name].astype(np.float32).T)

    one = g.const("const_one", f32(1.0))
    half = g.const("const_half", f32(0.5))
    sqrt2 = g.const("const_sqrt2", f32(np.sqrt(2.0)))
    scale = g.const("const_sqrt_head_dim", f32(np.sqrt(head_dim)))
    zero_f = g.const("const_zero_f", f32(0.0))
    # HF uses the most negative float32 as the mask bias (finfo.min); adding it
    # to an attention score cannot overflow and exp() of it is exactly 0.
    neg = g.const("const_mask_neg", f32(np.finfo(np.float32).min))
    zero_1d = g.const("const_zero_1d", i64([0]))
    split_heads = g.const("shape_split_heads", i64([0, 0, heads, head_dim]))
    merge_heads = g.const("shape_merge_heads", i64([0, 0, hidden]))
    mask_axes = g.const("axes_mask", i64([1, 2]))

    def linear(x, prefix):
        return g.op("Add", [g.op("MatMul", [x, wt(prefix + ".weight")]), w(prefix + ".bias")])

    def layer_norm(x, prefix, out=None):
        ln_inputs = [x, w(prefix + ".weight"), w(prefix + ".bias")]
        return g.op("LayerNormalization", ln_inputs, out=out, axis=-1, epsilon=eps)

    # --- embeddings: word + position + token type, then LayerNorm ---
    word = g.op("Gather", [w("embeddings.word_embeddings.weight"), "input_ids"])
    # Position ids are 0..seq-1, so their embeddings are simply the first seq
    # rows of the table: Slice it by the dynamic sequence length. (The obvious
    # Shape->Gather->Range->Gather form trips an onnxruntime 1.24 graph fusion
    # at ORT_ENABLE_EXTENDED and fails at run time; Slice does not.)
    seq_len = g.op("Shape", ["input_ids"], start=1, end=2)  # 1-D [seq]
    pos = g.op("Slice", [w("embeddings.position_embeddings.weight"), zero_1d, seq_len, zero_1d])
    tok = g.op("Gather", [w("embeddings.token_type_embeddings.weight"), "token_type_ids"])
    x = g.op("Add", [g.op("Add", [word, pos]), tok])
    x = layer_norm(x, "embeddings.LayerNorm")

    # --- additive attention mask: 0 where mask==1, finfo.min where mask==0,
    # shaped [batch, 1, 1, seq] to broadcast over heads and query positions.
    mask_bool = g.op("Cast", ["attention_mask"], to=TensorProto.BOOL)
    bias = g.op("Where", [mask_bool, zero_f, neg])
    bias = g.op("Unsqueeze", [bias, mask_axes])

    n_layers = cfg["num_hidden_layers"]
    for i in range(n_layers):
        p = f"encoder.layer.{i}"
        # Self-attention: [B,S,H] -> [B,heads,S,head_dim]
        q = g.op("Reshape", [linear(x, p + ".attention.self.query"), split_heads])
        k = g.op("Reshape", [linear(x, p + ".attention.self.key"), split_heads])
        v = g.op("Reshape", [linear(x, p + ".attention.self.value"), split_heads])
        q = g.op("Transpose", [q], perm=[0, 2, 1, 3])
        k = g.op("Transpose", [k], perm=[0, 2, 3, 1])  # pre-transposed for Q@K^T
        v = g.op("Transpose", [v], perm=[0, 2, 1, 3])
        # Divide by sqrt(head_dim) like HF eager attention (not folded into Wq,
        # which would change rounding).
        scores = g.op("Div", [g.op("MatMul", [q, k]), scale])
        probs = g.op("Softmax", [g.op("Add", [scores, bias])], axis=-1)
        ctx = g.op("Transpose", [g.op("MatMul", [probs, v])], perm=[0, 2, 1, 3])
        ctx = g.op("Reshape", [ctx, merge_heads])
        attn = linear(ctx, p + ".attention.output.dense")
        x = layer_norm(g.op("Add", [attn, x]), p + ".attention.output.LayerNorm")

        # Feed-forward with exact GELU: 0.5 * h * (1 + erf(h / sqrt(2))).
        # Written in this form so onnxruntime fuses it (with the bias) into BiasGelu.
        h = linear(x, p + ".intermediate.dense")
        erf = g.op("Erf", [g.op("Div", [h, sqrt2])])
        h = g.op("Mul", [g.op("Mul", [h, g.op("Add", [erf, one])]), half])
        h = linear(h, p + ".output.dense")
        last = "last_hidden_state" if i == n_layers - 1 else None
        x = layer_norm(g.op("Add", [h, x]), p + ".output.LayerNorm", out=last)

    dims = ["batch_size", "sequence_length"]
    inputs = [
        helper.make_tensor_value_info(n, TensorProto.INT64, dims)
        for n in ("input_ids", "attention_mask", "token_type_ids")
    ]
    output = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, dims + [hidden])
    graph = helper.make_graph(g.nodes, "bert_encoder", inputs, [output], initializer=g.inits)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="mmsearch-convert_minilm",
        producer_version="1",
        ir_version=IR_VERSION,
    )
    onnx.checker.check_model(model)
    return model


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: convert_minilm.py SAFETENSORS_DIR OUT_ONNX")
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    cfg = json.loads((src / "config.json").read_text())
    weights = read_safetensors(src / "model.safetensors")
    # Some checkpoints prefix everything with "bert."; strip it.
    weights = {k.removeprefix("bert."): v for k, v in weights.items()}
    model = build(weights, cfg)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(model.SerializeToString(deterministic=True))
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
