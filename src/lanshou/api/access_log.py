"""The server's access log without buyers' data: a buyer search (`?buyer=138…` or a name) would otherwise
write the phone number or name it searched for into every log line, in full, for anyone who reads the logs.

The filter rewrites the request target of uvicorn's access records: the values of the parameters that carry
buyer data become `***`, and any other mainland mobile number in the target is masked like the lists mask it.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode

ACCESS_LOGGER = "uvicorn.access"
# query parameters whose value is buyer data (the order searches' `buyer`; the rest guard future forms)
BUYER_PARAMS = frozenset(
    {"buyer", "phone", "receiver", "receiver_name", "receiver_phone", "address", "email"}
)
HIDDEN = "***"
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")  # as lanshou.customers.masking shows a phone


def mask_target(target: str) -> str:
    """The request target (path and query) with buyer data masked; anything else is kept as it was."""
    path, sep, query = target.partition("?")
    path = _mask_mobiles_in(path)
    if not sep:
        return path
    pairs = parse_qsl(query, keep_blank_values=True)
    masked = [
        (name, HIDDEN if name.lower() in BUYER_PARAMS else _MOBILE.sub(r"\1****\2", value))
        for name, value in pairs
    ]
    return f"{path}?{urlencode(masked, safe='*')}" if masked else path


def _mask_mobiles_in(path: str) -> str:
    plain = unquote(path)
    masked = _MOBILE.sub(r"\1****\2", plain)
    return path if masked == plain else quote(masked, safe="/*")


class BuyerDataFilter(logging.Filter):
    """Masks the target of uvicorn's access records (args: client, method, target, http version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], mask_target(args[2]), *args[3:])
        return True


def mask_access_log() -> None:
    """Install the filter once on the access logger (each server process calls this when it makes the app)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(found, BuyerDataFilter) for found in logger.filters):
        logger.addFilter(BuyerDataFilter())
