"""Operating WintEHR: the system status page, /metrics and the retention jobs."""
