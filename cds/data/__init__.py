"""Curated knowledge tables (CSV/JSON) the CDS services read; see each file's `_about`."""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
