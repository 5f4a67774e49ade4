"""The `lanshou` command: each sub-area registers its own commands, built when one of them is run."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, MutableMapping
from functools import cache
from importlib import import_module
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from lanshou import bootstrap, progress
from lanshou.cli.common import progress_bar
from lanshou.cli.errors import run_reporting_errors, take_debug_flag


def _added(module: str, name: str) -> Callable[[typer.Typer], None]:
    def register(root: typer.Typer) -> None:
        root.add_typer(import_module(f"lanshou.cli.{module}").app, name=name)

    return register


def _orders(root: typer.Typer) -> None:
    orders = import_module("lanshou.cli.orders").app
    import_module("lanshou.cli.order_actions").register(orders)  # `lanshou orders accept|hold|cancel|…`
    root.add_typer(orders, name="orders")


def _registered_by(module: str) -> Callable[[typer.Typer], None]:
    return lambda root: import_module(f"lanshou.cli.{module}").register(root)


_demo, _metrics, _shipping = _registered_by("demo"), _registered_by("metrics"), _registered_by("shipping")

# Every top-level command, in the order `lanshou --help` lists them, and what registers it (a module that
# adds several, once for all of them): a command run builds only its own area's commands (building all of
# them from their annotations, and importing every area's CLI module, was ~0.6 s of each `lanshou`
# command's start on a slow host).
REGISTERS: dict[str, Callable[[typer.Typer], None]] = {
    "demo": _demo,  # `lanshou demo`, `lanshou run`
    "run": _demo,
    "queue": _metrics,  # `lanshou metrics`, `lanshou metrics misses`, `lanshou queue`
    "serve": _registered_by("serve"),
    "worker": _registered_by("worker"),
    "ship": _shipping,  # `lanshou ship`, `lanshou carriers load|scorecard`
    "stats": _registered_by("stats"),
    "import": _added("imports", "import"),
    "orders": _orders,
    "users": _added("users", "users"),
    "shops": _added("shops", "shops"),
    "metrics": _metrics,
    "tracking": _registered_by("tracking"),  # `lanshou tracking show|eta-accuracy`
    "alerts": _registered_by("alerts"),  # `lanshou alerts list|ack|resolve|scan`
    "stock": _registered_by("stock"),  # `lanshou stock import|adjust|list|map`
    "rules": _registered_by("rules"),  # `lanshou rules add|list|remove|enable|disable|test`
    "review": _registered_by("review"),  # `lanshou review run|list|auto|blacklist`
    "waybills": _registered_by("waybills"),  # `lanshou waybills import|list|cancel|reprint`
    "carriers": _shipping,
    "notify": _registered_by("notify"),  # `lanshou notify log|send-due|optout|settings|templates|rules`
    "aftersales": _registered_by("aftersales"),  # `lanshou aftersales list|show|agree|refuse|receive`
    "followups": _registered_by("followups"),  # `lanshou followups list|assign|close`
    "buyers": _registered_by("buyers"),  # `lanshou buyers list|show|segment|blacklist|refresh`
}


Command = Any  # a command as Typer builds it (its own copy of click's Command)


def _commands_of(name: str) -> dict[str, Command]:
    """The commands that what registers `name` adds (an area may add several), built."""
    return _built_by(REGISTERS[name])


@cache  # a register adds to its module's own Typer apps: once per process
def _built_by(register: Callable[[typer.Typer], None]) -> dict[str, Command]:
    area = typer.Typer()
    area.callback()(lambda: None)  # a group, whatever the number of its commands
    register(area)
    group = typer.main.get_command(area)
    assert isinstance(group, TyperGroup)
    return dict(group.commands)


class _Commands(MutableMapping[str, Command]):
    """The root's commands by name: all names known at once (help, suggestions for a mistyped one), each
    one built when it is looked up."""

    def __init__(self, built: MutableMapping[str, Command]) -> None:
        self._built = dict(built)

    def __getitem__(self, name: str) -> Command:
        if name not in self._built and name in REGISTERS:
            self._built.update(_commands_of(name))
        return self._built[name]

    def __iter__(self) -> Iterator[str]:  # in the table's order, whatever was built first
        return iter(dict.fromkeys([*REGISTERS, *self._built]))

    def __len__(self) -> int:
        return len(dict.fromkeys([*REGISTERS, *self._built]))

    def __setitem__(self, name: str, command: Command) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]


class _Root(TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = _Commands(self.commands)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # the names only: help builds each one it shows


app = typer.Typer(
    cls=_Root,
    help="Lanshou 揽收 — orders, fulfilment and logistics metrics for marketplace merchants.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="show the traceback of an error / 显示错误详情")
    ] = False,
) -> None:
    """(--debug is taken off the command line by main(), in any position.)"""


def main() -> None:
    debug = take_debug_flag(sys.argv)

    def command() -> None:
        bootstrap.start()
        with progress.shown_by(progress_bar):
            app()

    sys.exit(run_reporting_errors(command, debug))
