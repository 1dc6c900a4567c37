"""The chart: opening it (access check and audit), its header, its tabs, summary and timeline."""
