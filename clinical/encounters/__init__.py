"""Encounters: the list, starting one (check-in), discharge."""
