"""Data on its way to a terminal: light on purpose (no pandas), for notices and errors too."""

from __future__ import annotations

# C0 and C1 control characters, as a terminal must never receive them from data: each is shown
# as its escape (`\x1b`, `\n`), so that a name cannot clear the screen, retitle the window or
# split a table row or an error line. JSON escapes them itself; CSV keeps data as it is.
CONTROL_ESCAPES: dict[int, str] = {
    code: {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(chr(code), f"\\x{code:02x}")
    for code in (*range(0x00, 0x20), *range(0x7F, 0xA0))
}


def shown(text: str) -> str:
    """Text for a terminal: control characters as visible escapes."""
    return text.translate(CONTROL_ESCAPES)
