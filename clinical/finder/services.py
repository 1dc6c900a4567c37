"""The recent-patients list lives in the user's session (it is theirs and short-lived)."""

from django.contrib.sessions.backends.base import SessionBase

RECENT_KEY = "workspace-recent-patients"
RECENT_MAX = 10


def recent_patient_note(*, session: SessionBase, patient_id: str) -> None:
    recent = list(session.get(RECENT_KEY, []))
    if recent[:1] == [patient_id]:
        return  # unchanged: no session write
    recent = [patient_id, *(p for p in recent if p != patient_id)][:RECENT_MAX]
    session[RECENT_KEY] = recent
