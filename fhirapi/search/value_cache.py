"""The size of each per-process cache of parsed index values (dates, numbers, references,
normalized strings): enough for the repeats within a Bundle or a burst of searches (imports ran
no slower than with 8 or 64 times as many entries), and small, so that a web process's memory
levels off in the first minute of a load: under writes most keys are new timestamps that never
come again (docs/performance.md, soak)."""

VALUE_CACHE_SIZE = 1024
