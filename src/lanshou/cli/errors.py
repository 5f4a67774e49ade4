"""How the `lanshou` command ends on an error: one clear line on stderr, never a stack trace unless the
user asks for it with `--debug` (anywhere on the command line).

A user error (a file that cannot be read, a database that cannot be reached, a bad argument) exits 2;
anything else is a fault of Lanshou's: exit 1, with how to see the traceback.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable

from sqlalchemy.exc import ArgumentError, InterfaceError, NoSuchModuleError, OperationalError

from lanshou.cli.common import err_console
from lanshou.config import database_url
from lanshou.files.tabular import FileRefused

DEBUG_FLAG = "--debug"


def take_debug_flag(argv: list[str]) -> bool:
    """Whether --debug was given; it is removed so every command accepts it in any position."""
    found = DEBUG_FLAG in argv[1:]
    argv[1:] = [a for a in argv[1:] if a != DEBUG_FLAG]
    return found


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _safe_url() -> str:
    try:
        url = database_url()
    except Exception:  # the configuration itself is what failed
        return "LANSHOU_DATABASE_URL"
    if "@" in url and "://" in url:  # never print a password
        scheme, rest = url.split("://", 1)
        return f"{scheme}://…@{rest.rsplit('@', 1)[1]}"
    return url


def run_reporting_errors(command: Callable[[], object], debug: bool) -> int:
    """Run the command; on an error, say it in one line and return the exit status."""
    try:
        command()
    except SystemExit as done:
        code = done.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted / 已中断[/]")
        return 130
    except FileRefused as exc:
        _explain(debug, f"[red]refused / 拒绝:[/] {exc}")
        return 2
    except (OperationalError, InterfaceError, ArgumentError, NoSuchModuleError) as exc:
        cause = _first_line(getattr(exc, "orig", None) or exc)
        _explain(debug, f"[red]database error / 数据库错误[/] ({_safe_url()}): {cause}")
        return 2
    except OSError as exc:  # a file that cannot be read or written: permissions, a full disk …
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        _explain(debug, f"[red]error / 错误:[/] {where}{exc.strerror or _first_line(exc)}")
        return 2
    except Exception as exc:
        _explain(debug, f"[red]error / 错误:[/] {type(exc).__name__}: {_first_line(exc)}", hint=True)
        return 1
    return 0


def _explain(debug: bool, line: str, hint: bool = False) -> None:
    if debug:
        traceback.print_exc(file=sys.stderr)
    text = line + ("" if debug or not hint else " (run again with --debug to see where)")
    err_console.print(text, soft_wrap=True, highlight=False)  # one line, however narrow the terminal
