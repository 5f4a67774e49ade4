"""A provider's numbered tracking states mapped onto the normalised statuses, one table per provider.

Providers number their states differently (Kuaidi100 201 = 超时未签收, Kdniao 201 = 到达派件城市), so
each keeps its own `CodeTable`; mapping two providers through one table mis-classifies. An unknown code
reads as unknown (None), never an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lanshou.carriers.text_status import DEFAULT_FAMILY, Rule, infer_status
from lanshou.tracking.status import TrackingStatus


@dataclass(frozen=True, slots=True)
class State:
    code: str
    name: str
    status: TrackingStatus | None  # None: the provider's state says nothing we can use
    parent: str = ""  # the main state of a sub-state


def family(
    main: str,
    name: str,
    status: TrackingStatus | None,
    subs: Sequence[tuple[str, str, TrackingStatus | None]] = (),
) -> list[State]:
    """A main state and its sub-states, written the way the providers' tables are laid out."""
    return [State(main, name, status), *(State(code, sub, s, main) for code, sub, s in subs)]


def _key(raw: str) -> str:
    return raw.strip().casefold()


class CodeTable:
    def __init__(self, provider: str, states: Iterable[State]) -> None:
        self.provider = provider
        self.states = tuple(states)
        self._by_key: dict[str, State] = {}
        for state in self.states:
            self._by_key.setdefault(_key(state.code), state)
        for state in self.states:  # names second: a code never loses to a name
            self._by_key.setdefault(_key(state.name), state)
        # What a main state may turn out to be once its text is read: its own and its sub-states' statuses.
        self._refinable: dict[str, frozenset[TrackingStatus]] = {}
        for main in self.states:
            if not main.parent:
                subs = {s.status for s in self.states if s.parent == main.code}
                self._refinable[main.code] = frozenset(x for x in {main.status, *subs} if x is not None)

    def lookup(self, raw: str) -> State | None:
        """The state a code ("103") or a state name ("已揽收") means, or None."""
        return self._by_key.get(_key(raw))

    def status(self, raw: str) -> TrackingStatus | None:
        state = self.lookup(raw)
        return state.status if state else None

    def event_status(
        self, raw: str, text: str = "", family: str = DEFAULT_FAMILY, overrides: tuple[Rule, ...] = ()
    ) -> TrackingStatus | None:
        """An event's status from its code or state name, refined by its text, else from its text alone.

        A main state is coarse (Kuaidi100 1 揽收 spans 101 已下单 .. 103 已揽收): when the text names
        one of its sub-states' statuses the text wins, so "已通知快递员揽件" under 1 stays info_received.
        """
        state = self.lookup(raw) if raw else None
        if state is not None and state.status is not None:
            candidates = self._refinable.get(state.code, frozenset())
            if len(candidates) < 2:  # a sub-state, or a main state with nothing finer: the code decides
                return state.status
            inferred = infer_status(text, family, overrides)
            return inferred if inferred in candidates else state.status
        return infer_status(text, family, overrides)
