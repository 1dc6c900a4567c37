"""The small curated value sets of cds/data/value_sets.json (codes as `system|code`)."""

import json
from functools import cache

from cds.data import DATA_DIR


@cache
def value_sets() -> dict[str, dict]:
    return json.loads((DATA_DIR / "value_sets.json").read_text(encoding="utf-8"))["value_sets"]


def value_set_codes(name: str) -> frozenset[str]:
    return frozenset(value_sets()[name]["codes"])
