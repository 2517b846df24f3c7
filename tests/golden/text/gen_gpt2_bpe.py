"""Known GPT-2 encodings for tests/test_text_gpt2.cpp, from two references that share no code with Ember.

1. Hugging Face `tokenizers` (Rust): a byte-level BPE model loaded from the same encoder.json and
   vocab.bpe, with its own GPT-2 pre-tokenizer regex (Oniguruma).
2. GPT-2's published algorithm restated with the `regex` module (the library OpenAI's encoder.py
   uses for pre-tokenization): byte-to-unicode, then greedy lowest-rank merges per word.

The script refuses to write the file unless both agree on every case. Run it from a virtual
environment that has them (never commit the environment or the vocabulary files):

    python3 -m venv /tmp/venv-tok && /tmp/venv-tok/bin/pip install tokenizers regex
    /tmp/venv-tok/bin/python tests/golden/text/gen_gpt2_bpe.py [DATA_ROOT]

DATA_ROOT defaults to ../shared/data beside the repository; it must hold gpt2/encoder.json and
gpt2/vocab.bpe.
"""
import json
import os
import sys

import regex
from tokenizers import Tokenizer, decoders, models, pre_tokenizers

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(REPO), "shared", "data")
ENCODER = os.path.join(ROOT, "gpt2", "encoder.json")
MERGES = os.path.join(ROOT, "gpt2", "vocab.bpe")
EOT = "<|endoftext|>"

# ---------------------------------------------------------------- reference 1: HF tokenizers


def hf_tokenizer(allow_special):
    tok = Tokenizer(models.BPE.from_file(ENCODER, MERGES))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    if allow_special:
        tok.add_special_tokens([EOT])
    return tok


# ---------------------------------------------------------------- reference 2: the published algorithm

PATTERN = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def byte_to_unicode():
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


class Reference:
    def __init__(self):
        with open(ENCODER, encoding="utf-8") as f:
            self.encoder = json.load(f)
        with open(MERGES, encoding="utf-8") as f:
            lines = f.read().split("\n")[1:]
        self.ranks = {tuple(line.split(" ")): i for i, line in enumerate(l for l in lines if l)}
        self.b2u = byte_to_unicode()

    def bpe(self, word):
        parts = list(word)
        while len(parts) > 1:
            # The lowest-rank adjacent pair (the leftmost one on a tie; all occurrences merge anyway).
            rank, best = min((self.ranks.get((a, b), float("inf")), i) for i, (a, b) in enumerate(zip(parts, parts[1:])))
            if rank == float("inf"):
                break
            first, second = parts[best], parts[best + 1]
            merged, i = [], 0
            while i < len(parts):  # every occurrence, left to right, without overlap
                if i + 1 < len(parts) and parts[i] == first and parts[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        return parts

    def encode_plain(self, text):
        ids = []
        for piece in PATTERN.findall(text):
            word = "".join(self.b2u[b] for b in piece.encode("utf-8"))
            ids += [self.encoder[p] for p in self.bpe(word)]
        return ids

    def encode(self, text, allow_special):
        if not allow_special:
            return self.encode_plain(text)
        ids = []
        for i, chunk in enumerate(text.split(EOT)):
            if i:
                ids.append(self.encoder[EOT])
            ids += self.encode_plain(chunk)
        return ids


# ---------------------------------------------------------------- the cases

CASES = [
    ("empty", ""),
    ("hello", "Hello world"),
    ("sentence", "Hello, world! How's it going? Fine: thanks."),
    ("contractions", "I'm sure you're right, we've seen they'll say she'd go; it's don't can't won't"),
    ("contractions_upper", "I'M SURE YOU'RE RIGHT, IT'S DON'T"),
    ("quotes", "'quoted' \"double\" 'll 's'd ''"),
    ("numbers", "In 2024, 3.14159 and 1,000,000 people; 12345678901234567890 x42 4th"),
    ("other_numbers", "Roman Ⅻ, half ½, squared x², Arabic-Indic ٣٤٥"),
    ("runs_of_spaces", "a  b   c    d     e"),
    ("leading_spaces", "   leading"),
    ("trailing_spaces", "trailing   "),
    ("only_space", " "),
    ("only_spaces", "     "),
    ("newlines", "\n\n\nnewlines\n\nand\n"),
    ("only_newline", "\n"),
    ("tabs_mixed", "tabs\t\tand\t mixed \t\n  x\r\n\r\ny"),
    ("spaces_then_newline", "a   \n   b"),
    ("unicode_whitespace", "a\u00a0b\u2003c\u3000d\u2028e"),
    ("ascii_control_whitespace", "x\x0by\x0cz\x85w"),
    ("control_chars", "\x00\x01\x1b[0m\x7f"),
    # Characters whose whitespace status differs between regex engines: each follows a space,
    # so the pieces (and ids) change if an engine calls it whitespace.
    ("space_before_x1c_x1f", "a \x1cb \x1dc \x1ed \x1fe"),
    ("space_before_nel", "a \x85b"),
    ("space_before_nbsp", "a \u00a0b \u00a0"),
    ("space_before_format_chars", "a \u180eb \u200bc \ufeffd \u2060e"),
    ("space_before_line_sep", "a \u2028b \u2029c \u205fd"),
    ("accents", "Café naïve résumé Ærøskøbing Straße Łódź"),
    ("combining", "e\u0301 a\u0308 n\u0303"),
    ("greek_cyrillic", "Ελληνικά Русский текст"),
    ("cjk", "日本語のテキスト、中文文本。한국어 문장"),
    ("emoji", "I love 🤖 and 👍🏽 and 👨\u200d👩\u200d👧\u200d👦 family 🇫🇷!"),
    ("emoji_only", "😀😃😄"),
    ("punctuation", "!!!??? ... --- (a) [b] {c} <d> @#$%^&* ~`|\\ /"),
    ("code", "def f(x):\n    return x**2  # square\n\nprint(f(3))\n"),
    ("byte_encoder_chars", "ĠĠ Ġ Ċ ĉ"),
    ("long_words", "supercalifragilisticexpialidocious antidisestablishmentarianism"),
    ("url_email", "https://example.com/path?q=1&r=two user@example.org"),
    ("mixed_scripts", "abcДЕЖ123αβγ"),
    ("endoftext_plain", "Hello<|endoftext|>World"),
    ("endoftext_only_plain", "<|endoftext|>"),
]
SPECIAL_CASES = [
    ("endoftext_special", "Hello<|endoftext|>World"),
    ("endoftext_only_special", "<|endoftext|>"),
    ("endoftext_spaced_special", "a <|endoftext|> b<|endoftext|><|endoftext|>\n"),
    ("endoftext_partial_special", "<|endoftext| <|endoftext|x"),
]


def main():
    for path in (ENCODER, MERGES):
        if not os.path.isfile(path):
            sys.exit(f"missing {path}: pass the data root as the first argument")
    ref = Reference()
    hf = {False: hf_tokenizer(False), True: hf_tokenizer(True)}
    with open(os.path.join(ROOT, "tinyshakespeare", "input.txt"), encoding="utf-8") as f:
        shakespeare = f.read(1500)
    cases = [(n, t, False) for n, t in CASES] + [(n, t, True) for n, t in SPECIAL_CASES]
    cases.append(("tinyshakespeare_head", shakespeare, False))
    out = []
    for name, text, allow in cases:
        a = hf[allow].encode(text).ids
        b = ref.encode(text, allow)
        if a != b:
            sys.exit(f"references disagree on {name!r}: tokenizers {a} vs regex algorithm {b}")
        if hf[allow].decode(a, skip_special_tokens=False) != text:
            sys.exit(f"tokenizers does not round-trip {name!r}")
        out.append({"name": name, "text": text, "allow_special": allow, "ids": a})
    dest = os.path.join(HERE, "gpt2_bpe.json")
    with open(dest, "w", encoding="ascii") as f:
        json.dump({"generator": "tests/golden/text/gen_gpt2_bpe.py", "cases": out}, f, indent=1,
                  ensure_ascii=True)
        f.write("\n")
    print(f"wrote {len(out)} cases to {dest}")


if __name__ == "__main__":
    main()
