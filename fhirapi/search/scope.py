"""What every condition of one search needs to know besides its own values."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scope:
    resource_types: tuple[str, ...]  # the types searched (never empty: every type when unlimited)
    base_urls: tuple[str, ...]  # absolute references to these bases are local references
    record: str = "r"  # the alias of the records table the conditions are about (r1... in chains)
    hidden_patients: tuple[str, ...] = ()  # compartments no record of the search may come from
