"""After-sales state machine: every transition, every illegal move, every platform mapping-table entry."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanshou.aftersales.states import (
    ACTIONS_BY_TYPE,
    DOUYIN_STATUS,
    DOUYIN_TYPE,
    FINAL,
    PDD_STATUS,
    TAOBAO_EXPORT_STATUS,
    TAOBAO_STATUS,
    TAOBAO_TYPE,
    TRANSITIONS,
    Action,
    AfterSaleRefused,
    CaseStatus,
    CaseType,
    allowed_actions,
    douyin_case,
    pdd_case,
    taobao_case,
    taobao_export_case,
    transition,
)

S, A, T = CaseStatus, Action, CaseType

# --- the machine ------------------------------------------------------------------------------------------

HAPPY_PATHS = {
    T.REFUND_UNSHIPPED: [A.AGREE, A.REFUND],
    T.REFUND_SHIPPED: [A.AGREE, A.REFUND],
    T.RETURN_REFUND: [A.AGREE_RETURN, A.BUYER_RETURN, A.RECEIVE, A.REFUND],
    T.EXCHANGE: [A.AGREE_RETURN, A.BUYER_RETURN, A.RECEIVE, A.RESHIP, A.COMPLETE],
    T.RESHIP: [A.AGREE, A.RESHIP, A.COMPLETE],
    T.PRICE_PROTECTION: [A.AGREE, A.REFUND],
    T.REPAIR: [A.AGREE_RETURN, A.BUYER_RETURN, A.RECEIVE, A.RESHIP, A.COMPLETE],
}


@pytest.mark.parametrize("case_type", list(CaseType))
def test_each_type_walks_its_happy_path_to_an_end(case_type: CaseType) -> None:
    status = S.REQUESTED
    for action in HAPPY_PATHS[case_type]:
        status = transition(status, action, case_type)
    assert status in FINAL
    assert status is (S.COMPLETED if case_type in {T.EXCHANGE, T.RESHIP, T.REPAIR} else S.REFUNDED)


@pytest.mark.parametrize(("start", "action"), list(TRANSITIONS))
def test_every_listed_transition_is_taken(start: CaseStatus, action: Action) -> None:
    assert transition(start, action) is TRANSITIONS[(start, action)]
    assert transition(start.value, action.value) is TRANSITIONS[(start, action)]  # plain strings work too


ILLEGAL = [(s, a) for s in CaseStatus for a in Action if (s, a) not in TRANSITIONS]


@pytest.mark.parametrize(("start", "action"), ILLEGAL)
def test_every_unlisted_move_is_refused_with_a_reason(start: CaseStatus, action: Action) -> None:
    with pytest.raises(AfterSaleRefused) as refused:
        transition(start, action)
    message = str(refused.value)
    assert message.startswith("拒绝 refused:")
    assert f"cannot {action.value!r} a case that is {start.value!r}" in message


def test_final_statuses_allow_nothing() -> None:
    for status in FINAL:
        assert allowed_actions(status) == []
        with pytest.raises(AfterSaleRefused, match="allowed: none: the case is finished"):
            transition(status, A.REFUND)


def test_refused_message_lists_what_is_allowed() -> None:
    with pytest.raises(AfterSaleRefused, match=r"allowed: buyer_return, close\)"):
        transition(S.WAITING_RETURN, A.REFUND)


def test_an_action_foreign_to_the_case_type_is_refused() -> None:
    with pytest.raises(AfterSaleRefused, match="a refund_unshipped case has no 'receive' step"):
        transition(S.RETURNED, A.RECEIVE, T.REFUND_UNSHIPPED)
    with pytest.raises(AfterSaleRefused, match="a exchange case has no 'refund' step"):
        transition(S.RECEIVED, A.REFUND, T.EXCHANGE)
    assert allowed_actions(S.RECEIVED, T.EXCHANGE) == [A.RESHIP, A.REFUSE]


def test_unknown_status_or_action_names_the_known_ones() -> None:
    with pytest.raises(AfterSaleRefused, match=r"unknown CaseStatus 'paid' \(known: requested, agreed"):
        transition("paid", "agree")
    with pytest.raises(AfterSaleRefused, match="unknown Action 'approve'"):
        transition("requested", "approve")


def test_refusal_can_be_reapplied_or_overturned() -> None:
    assert transition(S.REFUSED, A.REAPPLY) is S.REQUESTED
    assert transition(S.REFUSED, A.AGREE_RETURN, T.RETURN_REFUND) is S.WAITING_RETURN


def test_every_type_table_action_appears_in_the_machine() -> None:
    used = {action for (_, action) in TRANSITIONS}
    for actions in ACTIONS_BY_TYPE.values():
        assert actions <= used


@given(st.lists(st.sampled_from(list(Action)), max_size=12), st.sampled_from(list(CaseType)))
def test_no_sequence_of_actions_leaves_the_state_space_or_a_final_state(
    actions: list[Action], kind: T
) -> None:
    status = S.REQUESTED
    for action in actions:
        try:
            new = transition(status, action, kind)
        except AfterSaleRefused:
            continue  # refused: nothing changed
        assert status not in FINAL and new in CaseStatus
        status = new


# --- Taobao / Tmall ---------------------------------------------------------------------------------------

TAOBAO_EXPECTED = {
    "WAIT_SELLER_AGREE": S.REQUESTED,
    "WAIT_BUYER_RETURN_GOODS": S.WAITING_RETURN,
    "WAIT_SELLER_CONFIRM_GOODS": S.RETURNED,
    "SELLER_REFUSE_BUYER": S.REFUSED,
    "CLOSED": S.CLOSED,
    "SUCCESS": S.REFUNDED,
}


@pytest.mark.parametrize(("raw", "status"), TAOBAO_EXPECTED.items())
def test_taobao_api_status(raw: str, status: CaseStatus) -> None:
    case = taobao_case(raw, "REFUND_AND_RETURN", shipped=True)
    assert (case.known, case.case_type, case.status, case.raw) == (
        True,
        T.RETURN_REFUND,
        status,
        f"{raw}/REFUND_AND_RETURN",
    )
    assert set(TAOBAO_STATUS) == set(TAOBAO_EXPECTED)


@pytest.mark.parametrize(
    ("dispute_type", "shipped", "case_type"),
    [
        ("REFUND", False, T.REFUND_UNSHIPPED),
        ("REFUND", True, T.REFUND_SHIPPED),
        ("REFUND_AND_RETURN", True, T.RETURN_REFUND),
        ("TMALL_EXCHANGE", True, T.EXCHANGE),
        ("TAOBAO_EXCHANGE", True, T.EXCHANGE),
        ("REPAIR", True, T.REPAIR),
        ("RESHIPPING", True, T.RESHIP),
    ],
)
def test_taobao_dispute_types(dispute_type: str, shipped: bool, case_type: CaseType) -> None:
    assert taobao_case("WAIT_SELLER_AGREE", dispute_type, shipped=shipped).case_type is case_type
    assert len(TAOBAO_TYPE) == 6


def test_taobao_success_of_an_exchange_is_completed_not_refunded() -> None:
    assert taobao_case("SUCCESS", "TMALL_EXCHANGE", shipped=True).status is S.COMPLETED


def test_taobao_unknown_values_are_kept_and_reported() -> None:
    case = taobao_case("WAIT_SELLER_SEND_GOODS", "REFUND", shipped=True)
    assert (case.known, case.status, case.raw) == (False, None, "WAIT_SELLER_SEND_GOODS/REFUND")
    assert "unknown platform status 'WAIT_SELLER_SEND_GOODS/REFUND' (taobao)" in case.problem
    assert "unknown platform dispute_type" in taobao_case("SUCCESS", "OTHERS", shipped=True).problem


EXPORT_EXPECTED = {
    "买家已经申请退款，等待卖家同意": S.REQUESTED,
    "卖家已经同意退款，等待买家退货": S.WAITING_RETURN,
    "买家已经退货，等待卖家确认收货": S.RETURNED,
    "卖家拒绝退款": S.REFUSED,
    "退款关闭": S.CLOSED,
    "退款成功": S.REFUNDED,
}


@pytest.mark.parametrize(("text", "status"), EXPORT_EXPECTED.items())
def test_taobao_export_text(text: str, status: CaseStatus) -> None:
    case = taobao_export_case(text, needs_return=False, shipped=False)
    assert (case.status, case.case_type, case.raw) == (status, T.REFUND_UNSHIPPED, text)
    assert (
        taobao_export_case(f" {text.replace('，', ',')} ", needs_return=True, shipped=True).status is status
    )
    assert len(TAOBAO_EXPORT_STATUS) == len(EXPORT_EXPECTED)


def test_taobao_export_return_flag_and_unknown_text() -> None:
    assert taobao_export_case("退款成功", needs_return=True, shipped=True).case_type is T.RETURN_REFUND
    case = taobao_export_case("退款中", needs_return=False, shipped=True)
    assert (case.known, case.raw) == (False, "退款中") and "'退款中'" in case.problem


# --- Douyin -----------------------------------------------------------------------------------------------

DOUYIN_TYPES = {
    0: T.RETURN_REFUND,
    1: T.REFUND_SHIPPED,
    2: T.REFUND_UNSHIPPED,
    3: T.EXCHANGE,
    6: T.PRICE_PROTECTION,
}
DOUYIN_TYPES[7] = T.RESHIP
DOUYIN_STATUSES = {
    3: S.RESHIPPED,
    6: S.REQUESTED,
    7: S.WAITING_RETURN,
    8: S.AGREED,
    11: S.RETURNED,
    12: S.REFUNDED,
    14: S.COMPLETED,
    27: S.REFUSED,
    28: S.CLOSED,
    29: S.REFUSED,
}


@pytest.mark.parametrize(("code", "case_type"), DOUYIN_TYPES.items())
def test_douyin_types(code: int, case_type: CaseType) -> None:
    assert douyin_case(code, 6).case_type is case_type
    assert set(DOUYIN_TYPE) == set(DOUYIN_TYPES)


@pytest.mark.parametrize(("code", "status"), DOUYIN_STATUSES.items())
def test_douyin_statuses(code: int, status: CaseStatus) -> None:
    case = douyin_case("0", str(code))
    assert (case.status, case.raw, case.known) == (status, f"0/{code}", True)
    assert set(DOUYIN_STATUS) == set(DOUYIN_STATUSES)


def test_douyin_type_dependent_steps() -> None:
    assert douyin_case(3, 8).status is S.RECEIVED  # exchange: 待商家发货 after the return arrived
    assert douyin_case(7, 8).status is S.AGREED  # reship: agreed, the seller still has to send
    assert douyin_case(3, 12).status is S.COMPLETED
    assert douyin_case(7, 12).status is S.COMPLETED
    assert douyin_case(6, 12).status is S.REFUNDED


@pytest.mark.parametrize(
    ("kind", "status", "what"), [(5, 6, "aftersale_type"), (0, 99, "status"), ("x", 6, "status")]
)
def test_douyin_unknown_values_never_crash(kind: object, status: object, what: str) -> None:
    case = douyin_case(kind, status)  # type: ignore[arg-type]
    assert not case.known and case.raw == f"{kind}/{status}" and f"unknown platform {what}" in case.problem


# --- Pinduoduo --------------------------------------------------------------------------------------------

PDD_EXPECTED: dict[int, tuple[CaseType | None, CaseStatus]] = {
    2: (None, S.REQUESTED),
    3: (T.RETURN_REFUND, S.REQUESTED),
    4: (None, S.AGREED),
    5: (None, S.AGREED),
    6: (None, S.REFUSED),
    7: (T.RETURN_REFUND, S.WAITING_RETURN),
    8: (None, S.REQUESTED),
    9: (None, S.CLOSED),
    10: (None, S.REFUNDED),
    11: (None, S.CLOSED),
    12: (None, S.CLOSED),
    13: (None, S.CLOSED),
    14: (T.EXCHANGE, S.REQUESTED),
    15: (T.EXCHANGE, S.WAITING_RETURN),
    16: (T.EXCHANGE, S.COMPLETED),
    17: (T.EXCHANGE, S.CLOSED),
    18: (T.EXCHANGE, S.RESHIPPED),
    21: (T.REPAIR, S.REQUESTED),
    22: (T.REPAIR, S.WAITING_RETURN),
    24: (T.REPAIR, S.CLOSED),
    25: (T.REPAIR, S.COMPLETED),
    27: (T.REPAIR, S.RESHIPPED),
    31: (T.REFUND_SHIPPED, S.AGREED),
    32: (T.RESHIP, S.AGREED),
}


@pytest.mark.parametrize(("code", "expected"), PDD_EXPECTED.items())
def test_pdd_statuses(code: int, expected: tuple[CaseType | None, CaseStatus]) -> None:
    case_type, status = expected
    case = pdd_case(code, shipped=False)
    assert case is not None and case.known and case.raw == str(code)
    assert case.status is status
    assert case.case_type is (case_type or T.REFUND_UNSHIPPED)
    assert set(PDD_STATUS) == set(PDD_EXPECTED)


def test_pdd_refund_kind_comes_from_shipping_or_the_caller() -> None:
    assert pdd_case("10", shipped=True).case_type is T.REFUND_SHIPPED  # type: ignore[union-attr]
    known = pdd_case(10, shipped=True, case_type=T.RETURN_REFUND)
    assert known is not None and (known.case_type, known.status) == (T.RETURN_REFUND, S.REFUNDED)
    reship = pdd_case(16, shipped=True, case_type=T.RESHIP)
    assert reship is not None and (reship.case_type, reship.status) == (T.RESHIP, S.COMPLETED)


def test_pdd_no_after_sale_and_unknown_codes() -> None:
    assert pdd_case(0, shipped=True) is None
    for raw in (1, 19, "abc"):
        case = pdd_case(raw, shipped=True)
        assert case is not None and not case.known and case.raw == str(raw)
        assert f"unknown platform status {str(raw)!r} (pdd)" in case.problem


def test_every_mapped_platform_status_is_a_machine_status() -> None:
    tables = [TAOBAO_STATUS, TAOBAO_EXPORT_STATUS, DOUYIN_STATUS, {k: v[1] for k, v in PDD_STATUS.items()}]
    for table in tables:
        assert set(table.values()) <= set(CaseStatus)
