"""Text from a request made safe to put in a log line: an attacker's ``%0a`` must not start a fake line.

Every control, format, separator-other-than-space and surrogate character (Unicode categories C* and Z*
but U+0020), and the backslash itself, is written as a Python-style escape (``\\n``, ``\\x00``, ``\\u2028``),
so a logged value is always one line of printable text that can be read back unambiguously. Long values
are cut (with ``...``) so one request cannot flood the log.
"""

from __future__ import annotations

import unicodedata

__all__ = ["printable"]

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def _escape(ch: str) -> str:
    named = _NAMED.get(ch)
    if named is not None:
        return named
    if ch == " " or unicodedata.category(ch)[0] not in "CZ":
        return ch
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(value: object, limit: int = 512) -> str:
    """``value`` as one line of printable text (see the module docstring), at most ``limit`` characters
    of the original."""
    text = value if isinstance(value, str) else str(value)
    cut = len(text) > limit
    if cut:
        text = text[:limit]
    if text.isprintable() and "\\" not in text:
        return text + ("..." if cut else "")
    return "".join(_escape(c) for c in text) + ("..." if cut else "")
