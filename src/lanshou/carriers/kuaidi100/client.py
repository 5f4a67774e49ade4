"""Kuaidi100 tracking client: builder, transport, parser. A failed call is an outcome, not an exception."""

from __future__ import annotations

from lanshou.carriers.kuaidi100.tracking import (
    Kuaidi100Account,
    QueryOutcome,
    SubscribeOutcome,
    parse_query_reply,
    parse_subscribe_reply,
    query_request,
    subscribe_request,
)
from lanshou.carriers.wire import FormPoster, TransportError


class Kuaidi100Tracking:
    def __init__(self, account: Kuaidi100Account, transport: FormPoster) -> None:
        self.account = account
        self.transport = transport

    def subscribe(
        self, carrier: str, number: str, callback_url: str, salt: str, *, phone: str = ""
    ) -> SubscribeOutcome:
        request = subscribe_request(self.account, carrier, number, callback_url, salt, phone=phone)
        try:
            return parse_subscribe_reply(self.transport.post(request))
        except TransportError as exc:
            return SubscribeOutcome(False, "", str(exc))

    def query(self, carrier: str, number: str, *, phone: str = "") -> QueryOutcome:
        request = query_request(self.account, carrier, number, phone=phone)
        try:
            return parse_query_reply(self.transport.post(request))
        except TransportError as exc:
            return QueryOutcome(False, str(exc))
