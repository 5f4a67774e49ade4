"""Compare two reports, e.g. from the rollups and from the raw rows: where they differ, as readable paths."""

from __future__ import annotations

import math
from typing import Any


def report_differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Paths where the two differ; floats are equal within 1e-9 (sums taken in another order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}.{k}: only in one" for k in a.keys() ^ b.keys()]
        return out + [d for k in a.keys() & b.keys() for d in report_differences(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        pairs = enumerate(zip(a, b, strict=True))
        return [d for i, (x, y) in pairs for d in report_differences(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        return [] if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) else [f"{path}: {a} != {b}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]
