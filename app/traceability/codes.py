"""The cylinder code: 15 random Crockford base32 characters plus one check character.

The check character is the code's value mod 37. Because 37 is prime and larger than the
alphabet, any single wrong character and any swap of two adjacent characters changes the
value mod 37, so the check fails. Values whose remainder is 32..36 (which would need a
symbol outside the alphabet) are never issued, so every code is plain base32.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit


def N_(message: str) -> str:
    """Mark a message for the catalogs (as `app.errors.N_`; this module imports nothing of
    the app): the API answers it in English, pages look it up in the reader's language."""
    return message


ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LEN = 15
CODE_LEN = BODY_LEN + 1
GROUP = 4
CHECK_MOD = 37
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# Crockford's decoding aliases: easy misreadings map to the intended symbol.
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.]+")


class CodeError(ValueError):
    """A scanned or typed text is not a usable cylinder code."""

    code = "invalid_code"


class InvalidCode(CodeError):
    """Looks like one of our codes but is malformed or fails its check character."""

    code = "invalid_code"


class ForeignCode(CodeError):
    """Not one of our codes at all (another system's QR, a random URL)."""

    code = "foreign_code"


def _value(body: str) -> int:
    value = 0
    for ch in body:
        value = value * 32 + _VALUE[ch]
    return value


def check_char(body: str) -> str | None:
    """Return the check character for a body, or None if this body is never issued."""
    remainder = _value(body) % CHECK_MOD
    return ALPHABET[remainder] if remainder < 32 else None


def new_code(randbits: int | None = None) -> str:
    """Draw a fresh random code (75 random bits less the never-issued remainders)."""
    while True:
        bits = secrets.randbits(BODY_LEN * 5) if randbits is None else randbits
        body = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in reversed(range(BODY_LEN)))
        check = check_char(body)
        if check is not None:
            return body + check
        if randbits is not None:
            raise ValueError("these bits give a body that is never issued")


def is_valid(code: str) -> bool:
    """Tell whether a normalised 16-character code passes its check."""
    if len(code) != CODE_LEN or any(ch not in _VALUE for ch in code):
        return False
    return check_char(code[:BODY_LEN]) == code[BODY_LEN]


def format_code(code: str) -> str:
    """Group a code for print and reading aloud: XXXX-XXXX-XXXX-XXXX."""
    return "-".join(code[i:i + GROUP] for i in range(0, len(code), GROUP))


def payload_for(code: str, public_base_url: str) -> str:
    """Return the QR payload: a URL any phone camera opens on the public page."""
    return f"{public_base_url.rstrip('/')}/c/{code}"


def normalise(text: str) -> str:
    """Upper-case, drop separators and map Crockford aliases."""
    return _SEPARATORS.sub("", text).upper().translate(_ALIASES)


@dataclass(frozen=True)
class ParsedCode:
    code: str
    from_url: bool


def _looks_like_code(text: str) -> bool:
    """One of ours with at most one character missing or extra; anything else is foreign."""
    return CODE_LEN - 1 <= len(text) <= CODE_LEN + 1 and text.isalnum() and text.isascii()


def parse_code(text: str, public_base_url: str | None = None) -> ParsedCode:
    """Accept a bare code (any case, any separators) or our QR URL; reject anything else."""
    raw = (text or "").strip()
    if not raw:
        raise InvalidCode(N_("The code is empty."))
    if "://" in raw or raw.lower().startswith("www."):
        return ParsedCode(_code_from_url(raw, public_base_url), True)
    candidate = normalise(raw)
    if not _looks_like_code(candidate):
        raise ForeignCode(N_("This is not a cylinder code of this system."))
    if len(candidate) != CODE_LEN or not is_valid(candidate):
        raise InvalidCode(N_("The code fails its check; it was mistyped or misread."))
    return ParsedCode(candidate, False)


def _code_from_url(raw: str, public_base_url: str | None) -> str:
    try:
        parts = urlsplit(raw)
    except ValueError as exc:  # "http://[x/c/..." is no URL at all (an unclosed IPv6 host)
        raise ForeignCode(N_("This QR code belongs to another system.")) from exc
    path = parts.path.rstrip("/")
    if public_base_url:
        base = urlsplit(public_base_url)
        same_host = parts.netloc.lower() == base.netloc.lower()
        base_path = base.path.rstrip("/")
        if not same_host or not path.startswith(base_path + "/c/"):
            raise ForeignCode(N_("This QR code belongs to another system."))
        tail = path[len(base_path) + 3:]
    else:
        marker = path.rfind("/c/")
        if marker < 0:
            raise ForeignCode(N_("This QR code belongs to another system."))
        tail = path[marker + 3:]
    candidate = normalise(tail)
    if not is_valid(candidate):
        raise InvalidCode(N_("The code in this QR fails its check."))
    return candidate
