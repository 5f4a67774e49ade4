"""The accounts' errors: each message says what and why, Chinese first with English beside it."""

from __future__ import annotations


class AccountError(ValueError):
    """A request about accounts that cannot be done."""


class LoginRefused(AccountError):
    """Wrong name or password, or an inactive user: one message for all, so names cannot be probed."""

    def __init__(self) -> None:
        super().__init__("用户名或密码错误 wrong user name or password")


class LoginThrottled(AccountError):
    def __init__(self, retry_after: int) -> None:
        minutes = max(1, (retry_after + 59) // 60)
        super().__init__(
            f"登录失败次数过多，请 {minutes} 分钟后再试 too many failed logins: try again in {minutes} min"
        )
        self.retry_after = retry_after


class UnknownUser(AccountError):
    def __init__(self, name: str) -> None:
        super().__init__(f"没有此用户 no user {name!r}: see `lanshou users list`")


class LastOwner(AccountError):
    """Disabling or demoting the last active owner would leave nobody who may manage users."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"不能停用或降级最后一位启用的店主 {name!r} is the last active owner: "
            "add or enable another owner first"
        )
