"""The DICOM index: one row per study, series and stored instance (SOP Instance UID unique), with
the attributes QIDO-RS filters on. The files themselves live in the `dicom` storage backend."""

from django.contrib.postgres.fields import ArrayField
from django.db import models

UID_LENGTH = 64


class Study(models.Model):
    study_instance_uid = models.CharField(max_length=UID_LENGTH, unique=True)
    patient_id = models.CharField(max_length=64, blank=True, db_index=True)  # DICOM PatientID
    patient_name = models.CharField(max_length=324, blank=True)  # DICOM PN, e.g. "Doe^Peter"
    patient_birth_date = models.CharField(max_length=8, blank=True)
    patient_sex = models.CharField(max_length=16, blank=True)
    study_date = models.DateField(null=True, blank=True, db_index=True)
    study_time = models.CharField(max_length=16, blank=True)
    accession_number = models.CharField(max_length=64, blank=True, db_index=True)
    study_id = models.CharField(max_length=16, blank=True)
    study_description = models.CharField(max_length=256, blank=True)
    referring_physician_name = models.CharField(max_length=324, blank=True)
    modalities = ArrayField(models.CharField(max_length=16), default=list, blank=True)
    # The FHIR side: the Patient the study belongs to (blank until matched or reconciled), its
    # ImagingStudy and the ServiceRequest (order) it fulfils.
    patient_fhir_id = models.CharField(max_length=64, blank=True, db_index=True)
    imaging_study_fhir_id = models.CharField(max_length=64, blank=True)
    service_request_fhir_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "studies"
        indexes = [models.Index(fields=["-study_date", "-id"], name="imaging_study_recent")]

    def __str__(self) -> str:
        return f"Study {self.study_instance_uid} ({self.patient_name or 'no name'})"


class Series(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="series")
    series_instance_uid = models.CharField(max_length=UID_LENGTH, unique=True)
    modality = models.CharField(max_length=16, blank=True, db_index=True)
    series_number = models.IntegerField(null=True, blank=True)
    series_description = models.CharField(max_length=256, blank=True)
    body_part_examined = models.CharField(max_length=64, blank=True)
    series_date = models.DateField(null=True, blank=True)
    series_time = models.CharField(max_length=16, blank=True)

    class Meta:
        verbose_name_plural = "series"

    def __str__(self) -> str:
        return f"Series {self.series_instance_uid} ({self.modality})"


class Instance(models.Model):
    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="instances")
    sop_instance_uid = models.CharField(max_length=UID_LENGTH, unique=True)
    sop_class_uid = models.CharField(max_length=UID_LENGTH)
    instance_number = models.IntegerField(null=True, blank=True)
    number_of_frames = models.PositiveIntegerField(default=1)
    rows = models.PositiveIntegerField(null=True, blank=True)
    columns = models.PositiveIntegerField(null=True, blank=True)
    bits_allocated = models.PositiveIntegerField(null=True, blank=True)
    transfer_syntax_uid = models.CharField(max_length=UID_LENGTH)
    file_path = models.CharField(max_length=300)  # the name in the `dicom` storage backend
    file_size = models.PositiveBigIntegerField()
    # DICOM JSON of the header, bulk data (pixels, large binary values) left out.
    header = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Instance {self.sop_instance_uid}"

    @property
    def has_pixels(self) -> bool:
        return bool(self.rows and self.columns)
