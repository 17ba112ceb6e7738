"""What a person may type into a name or a note: text that reads as it is stored.

A regulator reads customer and organisation names, plates, area names and notes on screens,
in exports and in printed reports. Characters that do not show, or that change how the text
around them shows, let a stored value read as something else: a C0/C1 control, a line or
paragraph separator (U+2028/U+2029), a bidi override or isolate (U+202A-U+202E,
U+2066-U+2069: "Trojan source" reordering, so `京A·12345` can be stored as one plate and read
as another), and inside a one-line name a zero-width or other invisible character (`京A1`,
U+200B, `2345` is not `京A12345`, yet looks like it). Such text is refused, not
cleaned: whoever typed it sees which character, where, and types it again.

Two kinds of field: a single-line text (names, plates, numbers, addresses, phone, labels)
allows none of these; a multi-line text (notes, reasons, evidence) also allows TAB, LF and CR,
and the zero-width characters that ordinary writing can carry (it is not compared or searched
as an identifier).
Ordinary Chinese, emoji (including joined ones such as 👨‍👩‍👧 and flags) always pass.

Pure functions only: no Flask, no database (`app.text_fields` applies them to requests).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

LINE_BREAKS = frozenset("\t\n\r")  # what a textarea sends; only multi-line text keeps them
SEPARATORS = frozenset("\u2028\u2029")
# embeddings, overrides (U+202A-U+202E), isolates (U+2066-U+2069) and the deprecated
# format controls after them (U+206A-U+206F: symmetric swapping, digit shapes)
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x2070)))
# invisible in a one-line name: zero-width space/joiners, bidi marks, word joiner and the
# invisible operators, soft hyphen, Mongolian vowel separator, byte-order mark, and the
# blank letters a name can be made of (combining grapheme joiner, Hangul fillers, Khmer
# inherent vowels)
INVISIBLE = frozenset(chr(c) for c in (0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5,
                                       0x180E, *range(0x200B, 0x2010), *range(0x2060, 0x2065),
                                       0x3164, 0xFEFF, 0xFFA0))
ZWJ = "\u200d"
WAVING_BLACK_FLAG = "\U0001f3f4"  # a subdivision flag (🏴 + tag letters + cancel tag)
TAGS = range(0xE0001, 0xE0080)


@dataclass(frozen=True)
class TextProblem:
    """The first character a text may not hold, where it is, and what kind it is."""

    char: str
    position: int  # 0-based index into the text as given
    kind: str  # control, separator, bidi, invisible

    @property
    def codepoint(self) -> str:
        """The character as people look it up: U+202E."""
        return f"U+{ord(self.char):04X}"

    @property
    def name(self) -> str:
        """The character's Unicode name, or its code point where it has none (controls)."""
        return unicodedata.name(self.char, self.codepoint)


def _joins_emoji(text: str, i: int) -> bool:
    """A zero-width joiner between two emoji (👩‍💻) is part of one picture, not a hiding place."""
    if i == 0 or i + 1 >= len(text):
        return False
    before, after = text[i - 1], text[i + 1]
    symbol_before = (unicodedata.category(before) == "So" or before == "\ufe0f"
                     or 0x1F3FB <= ord(before) <= 0x1F3FF)  # skin tones
    return symbol_before and unicodedata.category(after) == "So"


def text_problem(text: str, *, multiline: bool = False) -> TextProblem | None:
    """The first character of `text` a single-line (or, with `multiline`, a multi-line)
    field refuses, or None when every character may stay."""
    flag = False  # inside a subdivision flag: 🏴 and the tag letters that follow it
    for i, ch in enumerate(text):
        flag = ch == WAVING_BLACK_FLAG or (flag and ord(ch) in TAGS)
        if ch < " " or "\x7f" <= ch <= "\x9f":
            if multiline and ch in LINE_BREAKS:
                continue
            return TextProblem(ch, i, "control")
        if ch < "\xad":  # fast path: everything else below the soft hyphen is visible
            continue
        if ch in SEPARATORS:
            return TextProblem(ch, i, "separator")
        if ch in BIDI_CONTROLS:
            return TextProblem(ch, i, "bidi")
        if multiline:
            continue
        if ch in INVISIBLE and not (ch == ZWJ and _joins_emoji(text, i)):
            return TextProblem(ch, i, "invisible")
        if ord(ch) in TAGS and not flag:  # tag letters elsewhere hide text ("ASCII smuggling")
            return TextProblem(ch, i, "invisible")
    return None


def is_clean(text: str, *, multiline: bool = False) -> bool:
    """Whether `text` may be stored as it is (see `text_problem`)."""
    return text_problem(text, multiline=multiline) is None
