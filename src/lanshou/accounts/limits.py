"""The login rate limit: a pure decision over the recent failures the store found."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class LoginLimits:
    """At most `per_name` failed logins for one user name and `per_client` from one address per window.

    The per-client limit is higher: several people behind one office NAT may each mistype a password.
    """

    per_name: int = 5
    per_client: int = 20
    window: timedelta = timedelta(minutes=15)

    def since(self, now: datetime) -> datetime:
        return now - self.window


def retry_after(
    limits: LoginLimits, by_name: Sequence[datetime], by_client: Sequence[datetime], now: datetime
) -> int | None:
    """Seconds until a login may be tried again, or None when it may be tried now.

    `by_name` and `by_client` are the failure times inside the window, oldest first. A try is allowed again
    once fewer than the cap remain in the window, i.e. when the (count - cap + 1)-th oldest one leaves it.
    """
    waits = [
        times[len(times) - cap] + limits.window - now
        for times, cap in ((by_name, limits.per_name), (by_client, limits.per_client))
        if len(times) >= cap
    ]
    if not waits:
        return None
    return max(1, int(max(waits).total_seconds() + 0.999))
