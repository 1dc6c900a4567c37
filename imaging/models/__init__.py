"""Imaging tables: the DICOM index (Study, Series, Instance) that QIDO-RS and the viewer read, the
reconciliation queue of studies waiting for their patient, and the remote PACS we can pull from."""

from imaging.models.index import Instance, Series, Study
from imaging.models.pacs import RemotePacs
from imaging.models.reconciliation import StudyReconciliation

__all__ = ["Instance", "RemotePacs", "Series", "Study", "StudyReconciliation"]
