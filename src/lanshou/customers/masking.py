"""Masking of buyer personal data for lists, exports and logs."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")


def mask_phone(phone: str | None) -> str:
    """138****5678 style: keep the first 3 and last 4 digits of a mobile number."""
    if not phone:
        return ""
    text = phone.strip()
    if text.startswith(("#", "$")):  # already platform-encrypted (Douyin 密文)
        return "***"
    if len(text) >= 11:
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    if len(text) > 4:
        return "*" * (len(text) - 4) + text[-4:]
    return "*" * len(text)


def mask_email(email: str | None) -> str:
    """z***@example.com : the first character of the local part, the domain whole."""
    if not email:
        return ""
    text = email.strip()
    local, at, domain = text.rpartition("@")
    if not at or not local:
        return "***"
    return local[0] + "***@" + domain


def mask_name(name: str | None) -> str:
    """张** : keep the first character only."""
    if not name:
        return ""
    text = name.strip()
    if text.startswith(("#", "$")):
        return "***"
    return text[0] + "*" * max(len(text) - 1, 1)


def mask_address(address: str | None) -> str:
    """Keep the first few characters (usually the street name), hide numbers and the rest."""
    if not address:
        return ""
    text = address.strip()
    if text.startswith(("#", "$")):
        return "***"
    head = _DIGITS.sub("*", text[:4])
    return head + "****"
