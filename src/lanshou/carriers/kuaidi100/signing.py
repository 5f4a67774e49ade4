"""Kuaidi100 signatures (WIRE-FORMATS.md 1): upper-case hex MD5 over plain concatenations, no separators."""

from __future__ import annotations

import hashlib
import hmac


def md5_upper(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def push_sign(param: str, salt: str) -> str:
    """Push callback: MD5(param + salt) over the raw form value, never a re-serialised one."""
    return md5_upper(param + salt)


def query_sign(param: str, key: str, customer: str) -> str:
    """Real-time query (poll/query.do): MD5(param + key + customer)."""
    return md5_upper(param + key + customer)


def label_sign(param: str, t: str, key: str, secret: str) -> str:
    """E-waybill V2 (label/order): MD5(param + t + key + secret)."""
    return md5_upper(param + t + key + secret)


def push_signature_ok(param: str, sign: str, salt: str) -> bool:
    """Constant-time check of a push's sign (compared as bytes: a non-ASCII sign is just wrong)."""
    expected = push_sign(param, salt).encode("ascii")
    return hmac.compare_digest(expected, sign.strip().upper().encode("utf-8"))
