"""Shipping labels (面单), packing lists and pick lists as PDF."""

from lanshou.shipping.labels.fonts import LabelFontError, cjk_font
from lanshou.shipping.labels.lists import write_packing_list, write_pick_list
from lanshou.shipping.labels.model import (
    LABEL_76X130,
    LABEL_100X180,
    Label,
    LabelError,
    LabelItem,
    LabelSize,
    Party,
    PickLine,
    PickRow,
    aggregate_pick_list,
    pick_lines_for_labels,
)
from lanshou.shipping.labels.pdf import write_labels

__all__ = [
    "LABEL_76X130",
    "LABEL_100X180",
    "Label",
    "LabelError",
    "LabelFontError",
    "LabelItem",
    "LabelSize",
    "Party",
    "PickLine",
    "PickRow",
    "aggregate_pick_list",
    "cjk_font",
    "pick_lines_for_labels",
    "write_labels",
    "write_packing_list",
    "write_pick_list",
]
