#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz harnesses (Fuzz/corpus/<target>/) from Tests/Fixtures.

Run from the repository root with any Python that has numpy:

    python3 Scripts/dev/make_fuzz_corpus.py

Each target gets a few small valid seeds (fixtures, shrunk to a few KB: tokenizers keep a slice of
their vocabulary and the merges over it, npz arrays are sliced) and a few invalid ones (truncated
files, inconsistent headers). Seeds are named valid-* (the parser accepts them; the replay test checks it) or invalid-*.
Minimized crash inputs found by fuzzing are added by hand as crash-* files and are left alone here.
"""

import io
import json
import os
import struct
import zipfile

import numpy as np

FIX = "Tests/Fixtures"
OUT = "Fuzz/corpus"


def put(target, name, data, valid=True):
    """Writes seed `name` of `target`, as valid-<name> (the parser accepts it) or invalid-<name>."""
    name = ("valid-" if valid else "invalid-") + name
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(os.path.join(FIX, path), "rb") as f:
        return f.read()


def safetensors(tensors, metadata=None):
    """tensors: name -> (dtype, shape, bytes). Returns the file, header padded to 8 bytes."""
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        dt, shape, b = tensors[name]
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    if metadata is not None:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


# safetensors headers
w = read("circuits/parity/clt/W_dec_2.safetensors")
put("safetensors", "clt-W_dec_2.safetensors", w)
put("safetensors", "truncated.safetensors", w[: len(w) // 2], valid=False)
put("safetensors", "empty.safetensors", safetensors({}, {"format": "pt"}))
f32 = np.arange(6, dtype=np.float32).tobytes()
put("safetensors", "dtypes.safetensors", safetensors({
    "a": ("F32", [2, 3], f32), "b": ("BF16", [0], b""), "c": ("U8", [], b"\x01"), "d": ("I64", [1], b"\0" * 8)}))
ok = safetensors({"a": ("F32", [2, 3], f32)})
hole = ok.replace(b'"data_offsets":[0,24]', b'"data_offsets":[4,28]')
put("safetensors", "hole.safetensors", hole, valid=False)

# JSON
put("json", "gpt2-config.json", read("models/gpt2/config.json"))
put("json", "generation_config.json", read("models/gpt2/generation_config.json"))
put("json", "special_tokens_map.json", read("models/bert/special_tokens_map.json"))
put("json", "escapes.json", '["\\ud83d\\ude00 \\u00e9\\n\\t\\"\\\\\\/", "\\ud800", -0, 1e308, -1.5e-7, 9223372036854775807, 9223372036854775808, {"": null}, [true, false, []]]')
put("json", "truncated.json", read("models/gpt2/config.json")[:200], valid=False)

# tokenizer.json, shrunk to a slice of the vocabulary


def shrink_tokenizer(path, keep=60):
    t = json.loads(read(path))
    m = t["model"]
    special = {a["content"] for a in t.get("added_tokens") or []}
    if m.get("unk_token"):
        special.add(m["unk_token"])
    vocab = m["vocab"]
    if isinstance(vocab, dict):
        kept = {k: v for k, v in vocab.items() if v < keep or k in special}
        if "merges" in m:
            merges = []
            for mg in m["merges"]:
                a, b = mg.split(" ") if isinstance(mg, str) else mg
                if a in kept and b in kept and a + b in kept:
                    merges.append(mg)
            m["merges"] = merges
        m["vocab"] = kept
    return compact(t)


for name, path in [("gpt2", "tokenizers/gpt2/tokenizer.json"), ("llama3", "tokenizers/llama3/tokenizer.json"),
                   ("bert-cased", "tokenizers/bert-cased/tokenizer.json"), ("roberta", "tokenizers/roberta/tokenizer.json"),
                   ("sp-bpe", "tokenizers/sp-bpe/tokenizer.json"), ("bert-uncased", "tokenizers/bert-uncased/tokenizer.json")]:
    if os.path.exists(os.path.join(FIX, path)):
        put("tokenizer", name + ".json", shrink_tokenizer(path))
put("tokenizer", "truncated.json", shrink_tokenizer("tokenizers/gpt2/tokenizer.json")[:300], valid=False)
put("tokenizer", "unknown-model.json", '{"model": {"type": "Unigram", "vocab": []}}', valid=False)

# config.json
for m in ["gpt2", "llama", "qwen2", "bert"]:
    put("config", m + ".json", read(f"models/{m}/config.json"))
g = json.loads(read("models/gpt2/config.json"))
g["n_head"] = 5
put("config", "gpt2-bad-heads.json", compact(g), valid=False)

# config.yaml
for name, path in [("plt", "transcoders/plt/config.yaml"), ("clt", "transcoders/clt/config.yaml"),
                   ("topk", "transcoders/topk/config.yaml"), ("parity-plt", "circuits/parity/plt/config.yaml"),
                   ("parity-clt", "circuits/parity/clt/config.yaml")]:
    put("yaml", name + ".yaml", read(path))
put("yaml", "flow-and-quotes.yaml", "---\nmodel_kind: 'cross_layer_transcoder'\nfeature_input_hook: \"a\\tb # not a comment\"\n"
    "feature_output_hook: x#y\ntranscoders: [a.safetensors, 'b''c', \"d\"]\nk: 4  # comment\n")
put("yaml", "nested.yaml", "model_kind: transcoder_set\nfoo:\n  bar: 1\n", valid=False)

# npz: the GemmaScope fixture's arrays, sliced
src = np.load(os.path.join(FIX, "transcoders/gemmascope/layer_0/params.npz"))
small = {k: (v[:4, :3] if v.ndim == 2 else v[:3]) for k, v in src.items()}
buf = io.BytesIO()
np.savez(buf, **small)
stored = buf.getvalue()
put("npz", "params.npz", stored)
buf = io.BytesIO()
np.savez_compressed(buf, **small)
put("npz", "params_compressed.npz", buf.getvalue())
put("npz", "truncated.npz", stored[: len(stored) - 30], valid=False)
buf = io.BytesIO()
np.savez(buf, i64=np.arange(3, dtype=np.int64), b=np.array([True, False]), u8=np.zeros((2, 0), np.uint8),
         f16=np.ones((), np.float16), f8=np.array([1.5]))
put("npz", "dtypes.npz", buf.getvalue())
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("x.txt", "not npy")
put("npz", "not-npy.npz", buf.getvalue(), valid=False)

# attribution graphs (AttributionGraph.save's layout): 2 tokens, 1 feature, 1 error, 1 logit


def graph(row_start=(0, 0, 0, 1, 2, 4), sources=(0, 1, 2, 3)):
    def i32(a):
        return ("I32", [len(a)], np.array(a, np.int32).tobytes())

    def i64(a):
        return ("I64", [len(a)], np.array(a, np.int64).tobytes())

    def f(a):
        return ("F32", [len(a)], np.array(a, np.float32).tobytes())

    n = 5
    t = {
        "node_kind": i32([2, 2, 0, 1, 3]), "node_layer": i32([0, 0, 1, 1, 2]), "node_position": i32([0, 1, 1, 1, 1]),
        "node_index": i32([7, 9, 3, 0, 5]), "node_value": f([0, 0, 1.5, 0.2, 2.0]),
        "row_start": i64(list(row_start)), "edge_source": i32(list(sources)), "edge_weight": f([0.5, -0.25, 1.0, 0.1]),
        "check_value": f([0] * n), "check_constant": f([0] * n), "check_dropped": f([0] * n),
        "check_dropped_abs": f([0] * n), "tokens": i64([7, 9]),
    }
    meta = {"format": "discern.attribution_graph", "version": "1", "prompt": "hi there", "n_layers": "2",
            "vocab_size": "16", "token_strings": '["hi"," there"]', "metadata": '{"model":"tiny"}'}
    return safetensors(t, meta)


put("graph", "tiny.graph", graph())
put("graph", "bad-rows.graph", graph(row_start=(0, 0, 2, 1, 2, 4)), valid=False)
put("graph", "bad-source.graph", graph(sources=(0, 1, 2, 9)), valid=False)
put("graph", "not-a-graph.safetensors", w, valid=False)
