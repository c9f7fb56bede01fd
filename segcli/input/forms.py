"""The forms a customer's id may be stored in (without pandas: a warm `show` looks one up in a
cache entry with them)."""

from __future__ import annotations

import re

PHONE_LIKE = r"^\+?[\d\s().\-/]+$"
PHONE_DIGITS_MIN = 6  # fewer digits than this is not a phone number


def lookup_forms(contact_id: str) -> list[str]:
    """The keys an id a user typed may be stored as, in order: as typed (trimmed), as an email
    key (lower-cased), as a phone key (`+` and its digits); `customer_keys`' rules for one
    value."""
    typed = contact_id.strip()
    forms = [typed, typed.lower()]
    digits = re.sub(r"\D", "", typed)
    if re.match(PHONE_LIKE, typed) and len(digits) >= PHONE_DIGITS_MIN:
        forms.append("+" + digits)
    return list(dict.fromkeys(forms))
