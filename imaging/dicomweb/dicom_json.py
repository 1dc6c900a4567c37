"""DICOM JSON (PS3.18 F.2) values for attributes built from the index tables."""

from datetime import date
from typing import Any

from pydicom.datadict import dictionary_VR, keyword_for_tag, tag_for_keyword

Element = dict[str, Any]


def tag_hex(keyword: str) -> str:
    tag = tag_for_keyword(keyword)
    if tag is None:
        raise KeyError(keyword)
    return f"{tag:08X}"


def keyword_of(key: str) -> str | None:
    """A QIDO attribute key (keyword, or 8 hex digits) as a keyword; None when unknown."""
    if len(key) == 8 and all(ch in "0123456789abcdefABCDEF" for ch in key):
        return keyword_for_tag(int(key, 16)) or None
    return key if tag_for_keyword(key) is not None else None


def element(keyword: str, value: Any) -> tuple[str, Element]:
    """(tag, element) for a keyword and a Python value: empty values give an element w/o Value."""
    tag = tag_for_keyword(keyword)
    vr = dictionary_VR(tag)
    entry: Element = {"vr": vr}
    values = value if isinstance(value, list) else [value]
    values = [v for v in values if v not in (None, "")]
    if values:
        entry["Value"] = [_json_value(vr, v) for v in values]
    return f"{tag:08X}", entry


def _json_value(vr: str, value: Any) -> Any:
    if vr == "PN":
        return {"Alphabetic": str(value)}
    if vr == "DA" and isinstance(value, date):
        return value.strftime("%Y%m%d")
    if vr in ("IS", "US", "UL", "SL", "SS"):
        return int(value)
    return value


def dataset_json(attributes: dict[str, Any]) -> dict[str, Element]:
    """A DICOM JSON object from {keyword: value}, tags in ascending order."""
    return dict(sorted(element(keyword, value) for keyword, value in attributes.items()))
