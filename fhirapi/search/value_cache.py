"""The size of each per-process cache of parsed index values (dates, numbers, references,
normalized strings): enough for the repeats within a Bundle or a burst of searches, and small
(a few MiB each) so that a web process's memory levels off minutes into a load, not an hour
(docs/performance.md, soak)."""

VALUE_CACHE_SIZE = 8192
