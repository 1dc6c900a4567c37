"""Vital signs: the table, SVG trend charts, and recording a new set."""
