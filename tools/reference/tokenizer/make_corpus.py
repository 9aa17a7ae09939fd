#!/usr/bin/env python3
"""Writes tests/fixtures/tokenizer/corpus.jsonl: the text lines every tokenizer is checked on.

Hand-picked lines cover the hard cases (whitespace runs, tabs, CJK, Korean, emoji with ZWJ and skin tones,
control characters, special-token text, very long words, numbers, contractions, RTL scripts, code); a seeded
generator adds mixed lines. Each output line is {"text": "..."}. Deterministic: rerunning gives the same file.
Usage: python3 tools/reference/tokenizer/make_corpus.py
"""
import json
import os
import random

OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../tests/fixtures/tokenizer/corpus.jsonl"))

HAND = [
    "", " ", "  ", "\t", "\n", "\n\n", " \n ", "a", " a", "a ", "  leading spaces", "trailing spaces   ",
    "Hello world", "Hello, world!", "hello   world", "hello\tworld", "hello\n\nworld", "line one\r\nline two\r\n",
    "The quick brown fox jumps over the lazy dog.", "THE QUICK BROWN FOX", "I'm sure you're right, they'll see it's fine; we'd've known.",
    "Don't DON'T don’t", "It's 3:45pm on 2024-05-17, costing $1,234.56 (≈ €1.137,20).",
    "1 12 123 1234 12345 123456 1234567890", "3.14159265358979323846", "0x1F 0b1010 1e-9 -42 +7",
    "def add(a, b):\n    return a + b\n", "    indented with four spaces", "\t\ttwo tabs then text",
    "for (int i = 0; i < n; ++i) { sum += x[i] * y[i]; }", "if x == 1:\n\tprint('tab indented')\n",
    "public static async Task<int> Main(string[] args) => await RunAsync(args);",
    "<div class=\"main\"><p>Hello &amp; welcome</p></div>", "SELECT * FROM users WHERE id = 42 AND name LIKE '%bob%';",
    "{\"key\": [1, 2, 3], \"nested\": {\"a\": null, \"b\": true}}", "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); }",
    "fn main() { let v: Vec<u8> = vec![0; 16]; println!(\"{:?}\", v); }", "x => x * 2; y -> z; a != b; c >= d; e <= f; g === h",
    "$ ls -la | grep '.cs' > out.txt 2>&1 && echo done", "https://example.com/path?query=1&other=two#frag",
    "user@example.com", "C:\\Users\\name\\Documents\\file.txt", "~/projects/phi/src/main.rs",
    "你好，世界！", "我喜欢用中文写程序。", "日本語のテキストです。ひらがなとカタカナ、漢字。", "東京は日本の首都です",
    "안녕하세요, 세계!", "한국어 문장을 토큰화합니다.", "Ελληνικά κείμενα", "Русский текст с пунктуацией — и тире.",
    "مرحبا بالعالم", "שלום עולם", "हिन्दी पाठ", "ภาษาไทย", "Tiếng Việt có dấu", "Zürich, Müller, Ångström, naïve, façade, coöperate",
    "😀", "😀😃😄", "👍🏽 thumbs", "👨‍👩‍👧‍👦 family", "🏳️‍🌈 flag", "I ❤️ emoji 🎉🎉🎉!", "🤖🦀🐍☕",
    "\u0000", "a\u0001b", "\u0007bell", "\u001b[31mred\u001b[0m", "zero\u200bwidth", "soft\u00adhyphen", "\ufeffBOM start",
    "non\u00a0breaking space", "tab\u000bvertical", "form\u000cfeed", "\u2028line sep", "e\u0301 combining acute", "ﬁ ligature",
    "<|user|>", "<|assistant|>", "<|system|>", "<|end|>", "<|endoftext|>", "<s>", "</s>", "<unk>",
    "<|user|>\nHello<|end|>\n<|assistant|>\n", "<|system|>\nYou are helpful.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>",
    "text<|end|>more", " <|end|> spaced ", "<|user|>Hello", "<s>Hello</s>", "<|placeholder1|><|placeholder2|>", "<|notatoken|>",
    "<|user", "|user|>", "< |user| >", "<<|user|>>",
    "a" * 300, "ab" * 150, "Pneumonoultramicroscopicsilicovolcanoconiosis", "supercalifragilisticexpialidocious" * 4,
    "x" * 1000, " " * 64, "\t" * 16, "\n" * 10, "-" * 80, "=" * 40 + "\n" + "=" * 40, "." * 33, "!?" * 20,
    "🙂" * 40, "中" * 100, "한" * 50, "a b c d e f g h i j k l m n o p q r s t u v w x y z",
    "CamelCaseIdentifierName snake_case_name kebab-case-name SCREAMING_SNAKE", "getHTTPResponseCode XMLHttpRequest iOS macOS",
    "’‘“”„‚«»‹›", "…—–-‐", "©®™§¶†‡•", "½¼¾ ²³ ∑∏∫√∞≈≠≤≥", "₿ ¥ £ € ₹ ₩", "°C °F µm Ω",
    "Mixed 中文 and English 한국어 text 😀 here.", "العربية mixed with English", "tab\tseparated\tvalues\t1\t2\t3",
    "a,b,c\n1,2,3\n4,5,6", "| col1 | col2 |\n|------|------|\n| a    | b    |", "- item one\n- item two\n  - nested item",
    "# Heading\n\nSome *emphasis* and **bold** and `code`.", "> quoted text\n>> nested quote", "1. first\n2. second\n10. tenth",
    "    \n    \n", " \t \t ", "end with newline\n", "\nstart with newline", "multiple\n\n\n\nblank lines",
]

WORDS = ["the", "model", "token", "Phi", "small", "language", "data", "café", "naïve", "数据", "모델", "🚀", "x", "42",
         "3.5", "don't", "isn't", "HTTP", "JSON", "—", "(", ")", "{", "}", ";", "::", "->", "\t", "  ", "\n"]


def generated(rng, count):
    for _ in range(count):
        n = rng.randint(1, 30)
        parts = []
        for _ in range(n):
            parts.append(rng.choice(WORDS))
            parts.append(rng.choice([" ", " ", " ", "", "  ", "\t", "\n", ", "]))
        yield "".join(parts)


def main():
    rng = random.Random(1234)
    lines = list(HAND) + list(generated(rng, 120))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        for text in lines:
            f.write(json.dumps({"text": text}, ensure_ascii=True) + "\n")
    print(f"{len(lines)} lines -> {OUT}")


if __name__ == "__main__":
    main()
