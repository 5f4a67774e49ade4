"""Which facts a compiled condition reads, from the library's own checked expression.

`Expression.serialize()` gives a `google.protobuf.Any` holding a `cel.expr.CheckedExpr` (cel-spec
`checked.proto`): its `reference_map` (field 2) maps expression ids to `Reference`s whose `name` (field 1) is
the resolved identifier and whose `overload_id` (field 3) is set only for functions. We declare just those
fields here and let protobuf skip the rest. If the library ever answers with something else, every fact is
bound (slower, never wrong).
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError

CHECKED_EXPR = "cel.expr.CheckedExpr"
_F = descriptor_pb2.FieldDescriptorProto


def _message_classes() -> tuple[Any, Any]:
    file = descriptor_pb2.FileDescriptorProto(name="lanshou/rules/references.proto", package="lanshou.refs")
    file.syntax = "proto3"

    def add(name: str, fields: list[tuple[str, int, int, int, str]]) -> None:
        message = file.message_type.add(name=name)
        for field_name, number, kind, label, type_name in fields:
            field = message.field.add(name=field_name, number=number, type=kind, label=label)
            if type_name:
                field.type_name = type_name

    one, many = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED
    add("Envelope", [("type_url", 1, _F.TYPE_STRING, one, ""), ("value", 2, _F.TYPE_BYTES, one, "")])
    add("Reference", [("name", 1, _F.TYPE_STRING, one, ""), ("overload_id", 3, _F.TYPE_STRING, many, "")])
    # A protobuf map is, on the wire, a repeated message of key = 1 and value = 2.
    add(
        "Entry",
        [("key", 1, _F.TYPE_INT64, one, ""), ("value", 2, _F.TYPE_MESSAGE, one, ".lanshou.refs.Reference")],
    )
    add("Checked", [("reference_map", 2, _F.TYPE_MESSAGE, many, ".lanshou.refs.Entry")])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    envelope = message_factory.GetMessageClass(pool.FindMessageTypeByName("lanshou.refs.Envelope"))
    checked = message_factory.GetMessageClass(pool.FindMessageTypeByName("lanshou.refs.Checked"))
    return envelope, checked


_Envelope, _Checked = _message_classes()


def referenced_names(serialized: bytes) -> frozenset[str] | None:
    """Every variable name the checked expression resolved, or None when the bytes are not what we expect."""
    try:
        envelope = _Envelope.FromString(serialized)
        if not envelope.type_url.endswith("/" + CHECKED_EXPR):
            return None
        checked = _Checked.FromString(envelope.value)
    except DecodeError:
        return None
    return frozenset(entry.value.name for entry in checked.reference_map if not entry.value.overload_id)
