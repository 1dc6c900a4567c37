"""Progress and results on a terminal: a one-line bar (resources/s, ETA by bytes read) and the
summary table printed at the end of an import or export."""

import time
from collections.abc import Sequence
from typing import TextIO

from fhirapi.bulk.importer import Progress

BAR_WIDTH = 24


class ProgressBar:
    """Redraws one line on a terminal; elsewhere (a log, CI) prints a line every `every` s."""

    def __init__(self, stream: TextIO, *, every: float = 5.0) -> None:
        self.stream = stream
        self.is_terminal = stream.isatty()
        self.every = 0.2 if self.is_terminal else every
        self.shown_at = 0.0

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        if now - self.shown_at < self.every:
            return
        self.shown_at = now
        self.stream.write(("\r" if self.is_terminal else "") + progress_line(progress))
        if not self.is_terminal:
            self.stream.write("\n")
        self.stream.flush()

    def close(self, progress: Progress) -> None:
        self.shown_at = 0.0
        self.every = 0.0
        self(progress)
        if self.is_terminal:
            self.stream.write("\n")


def progress_line(progress: Progress) -> str:
    fraction = progress.bytes_done / progress.bytes_total if progress.bytes_total else 1.0
    fraction = min(fraction, 1.0)
    filled = int(fraction * BAR_WIDTH)
    elapsed = progress.elapsed
    rate = progress.resources / elapsed if elapsed > 0 else 0.0
    eta = elapsed * (1 - fraction) / fraction if fraction > 0 else 0.0
    current = progress.current.rsplit("/", 1)[-1][-40:]
    return (
        f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {fraction:4.0%} "
        f"{progress.resources:,} resources  {rate:,.0f}/s  ETA {clock(eta)}  {current:<40}"
    )


def clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in [list(headers), *cells]) for i in range(len(headers))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)
