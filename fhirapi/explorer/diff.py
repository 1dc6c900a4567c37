"""Differences between two versions of a resource: a unified diff of their indented JSON, and the
list of changed paths (FHIRPath-like: `name[0].given[1]`)."""

import difflib
import json
from dataclasses import dataclass
from typing import Any

ABSENT = object()


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "remove", "hunk", "context" or "header"
    text: str


@dataclass(frozen=True)
class Change:
    path: str
    kind: str  # "added", "removed" or "changed"
    old: str = ""
    new: str = ""


def unified_diff(old: Any, new: Any, *, old_label: str, new_label: str) -> list[DiffLine]:
    lines = difflib.unified_diff(
        _pretty(old), _pretty(new), fromfile=old_label, tofile=new_label, lineterm="", n=3
    )
    return [DiffLine(_kind(line), line) for line in lines]


def changed_paths(old: Any, new: Any, path: str = "") -> list[Change]:
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[Change] = []
        for key in list(old) + [k for k in new if k not in old]:
            child = f"{path}.{key}" if path else key
            changes += changed_paths(old.get(key, ABSENT), new.get(key, ABSENT), child)
        return changes
    if isinstance(old, list) and isinstance(new, list):
        changes = []
        for index in range(max(len(old), len(new))):
            left = old[index] if index < len(old) else ABSENT
            right = new[index] if index < len(new) else ABSENT
            changes += changed_paths(left, right, f"{path}[{index}]")
        return changes
    if old is ABSENT:
        return [Change(path, "added", new=_compact(new))]
    if new is ABSENT:
        return [Change(path, "removed", old=_compact(old))]
    if old != new:
        return [Change(path, "changed", old=_compact(old), new=_compact(new))]
    return []


def _pretty(value: Any) -> list[str]:
    return json.dumps(value, indent=2, ensure_ascii=False).splitlines() if value else []


def _compact(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 200 else text[:199] + "…"


def _kind(line: str) -> str:
    if line.startswith(("---", "+++")):
        return "header"
    if line.startswith("@@"):
        return "hunk"
    if line.startswith("+"):
        return "add"
    if line.startswith("-"):
        return "remove"
    return "context"
