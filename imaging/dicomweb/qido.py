"""QIDO-RS (PS3.18 10.6): studies, series and instances searched in the index tables and answered
in DICOM JSON. Matching: UID lists, exact and wildcard (* ?) values, date ranges, ModalitiesInStudy,
and person names exact, by wildcard or fuzzily (`fuzzymatching=true`: each word of the query
starts a name component, ignoring case). Attributes beyond the index come from a stored header."""

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.http import QueryDict

from imaging.dicom_files import dicom_date
from imaging.dicomweb.dicom_json import dataset_json, keyword_of, tag_hex
from imaging.models import Instance, Series, Study

STUDY, SERIES, INSTANCE = "study", "series", "instance"
_LEVEL_RANK = {STUDY: 0, SERIES: 1, INSTANCE: 2}
_PREFIX = {  # from the queried level to each level's fields
    STUDY: {STUDY: ""},
    SERIES: {STUDY: "study__", SERIES: ""},
    INSTANCE: {STUDY: "series__study__", SERIES: "series__", INSTANCE: ""},
}
# keyword: (level, field, kind of matching)
MATCHING = {
    "StudyInstanceUID": (STUDY, "study_instance_uid", "uid"),
    "PatientID": (STUDY, "patient_id", "text"),
    "PatientName": (STUDY, "patient_name", "name"),
    "PatientBirthDate": (STUDY, "patient_birth_date", "text"),
    "PatientSex": (STUDY, "patient_sex", "text"),
    "StudyDate": (STUDY, "study_date", "date"),
    "AccessionNumber": (STUDY, "accession_number", "text"),
    "StudyID": (STUDY, "study_id", "text"),
    "StudyDescription": (STUDY, "study_description", "text"),
    "ReferringPhysicianName": (STUDY, "referring_physician_name", "name"),
    "ModalitiesInStudy": (STUDY, "modalities", "modalities"),
    "SeriesInstanceUID": (SERIES, "series_instance_uid", "uid"),
    "Modality": (SERIES, "modality", "list"),
    "SeriesNumber": (SERIES, "series_number", "int"),
    "SeriesDescription": (SERIES, "series_description", "text"),
    "BodyPartExamined": (SERIES, "body_part_examined", "text"),
    "SOPInstanceUID": (INSTANCE, "sop_instance_uid", "uid"),
    "SOPClassUID": (INSTANCE, "sop_class_uid", "uid"),
    "InstanceNumber": (INSTANCE, "instance_number", "int"),
}
CONTROL_PARAMETERS = {"limit", "offset", "fuzzymatching", "includefield", "accept"}
STUDY_ATTRIBUTES = (
    "StudyDate",
    "StudyTime",
    "AccessionNumber",
    "ModalitiesInStudy",
    "ReferringPhysicianName",
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyInstanceUID",
    "StudyID",
    "StudyDescription",
)


class QidoError(Exception):
    """A malformed query (400)."""


@dataclass(frozen=True)
class QidoQuery:
    level: str
    matches: tuple[tuple[str, str], ...] = ()
    include: frozenset[str] = frozenset()
    include_all: bool = False
    fuzzy: bool = False
    limit: int = 0
    offset: int = 0
    warnings: tuple[str, ...] = field(default_factory=tuple)


def qido_query(params: QueryDict, *, level: str) -> QidoQuery:
    matches, include, warnings = [], set(), []
    include_all = False
    maximum = settings.IMAGING_QIDO_MAX_RESULTS
    for value in params.getlist("includefield"):
        for key in filter(None, (k.strip() for k in value.split(","))):
            if key == "all":
                include_all = True
            elif (keyword := keyword_of(key)) is not None:
                include.add(keyword)
            else:
                warnings.append(f"includefield {key} is not a known attribute")
    for key, values in params.lists():
        if key in CONTROL_PARAMETERS:
            continue
        keyword = keyword_of(key)
        known = MATCHING.get(keyword or "")
        if known is None or _LEVEL_RANK[known[0]] > _LEVEL_RANK[level]:
            warnings.append(f"the matching key {key} is not supported at {level} level: ignored")
            continue
        for value in values:
            if value == "":
                include.add(keyword)  # universal matching: return the attribute
            else:
                matches.append((keyword, value))
    return QidoQuery(
        level=level,
        matches=tuple(matches),
        include=frozenset(include),
        include_all=include_all,
        fuzzy=params.get("fuzzymatching", "false").lower() == "true",
        limit=min(_whole(params, "limit", maximum), maximum),
        offset=_whole(params, "offset", 0),
        warnings=tuple(warnings),
    )


def _whole(params: QueryDict, name: str, default: int) -> int:
    raw = params.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit():
        raise QidoError(f"{name} must be a whole number, got {raw!r}")
    return int(raw)


def query_filter(query: QidoQuery) -> Q:
    combined = Q()
    for keyword, value in query.matches:
        level, field_name, kind = MATCHING[keyword]
        path = _PREFIX[query.level][level] + field_name
        combined &= _match(kind, path, value, query.fuzzy)
    return combined


def _match(kind: str, path: str, value: str, fuzzy: bool) -> Q:
    if kind in ("uid", "list"):
        return Q(**{f"{path}__in": _split(value)})
    if kind == "modalities":
        return Q(**{f"{path}__overlap": _split(value)})
    if kind == "int":
        if not value.lstrip("-").isdigit():
            raise QidoError(f"{value!r} is not a whole number")
        return Q(**{path: int(value)})
    if kind == "date":
        return _date_range(path, value)
    if kind == "name":
        return _name(path, value, fuzzy)
    if _has_wildcard(value):
        return Q(**{f"{path}__regex": _wildcard_regex(value)})
    return Q(**{path: value})


def _split(value: str) -> list[str]:
    return [item.strip() for item in re.split(r"[\\,]", value) if item.strip()]


def _has_wildcard(value: str) -> bool:
    return "*" in value or "?" in value


def _wildcard_regex(value: str) -> str:
    return "^" + "".join({"*": ".*", "?": "."}.get(ch, re.escape(ch)) for ch in value) + "$"


def _date_range(path: str, value: str) -> Q:
    """DA matching: a date, `from-to`, `from-` or `-to`."""
    start_text, dash, end_text = value.partition("-")
    start, end = _date(start_text), _date(end_text) if dash else _date(start_text)
    condition = Q()
    if start:
        condition &= Q(**{f"{path}__gte": start})
    if end:
        condition &= Q(**{f"{path}__lte": end})
    if not start and not end:
        raise QidoError(f"{value!r} is not a date or date range (YYYYMMDD-YYYYMMDD)")
    return condition


def _date(text: str) -> date | None:
    if not text:
        return None
    parsed = dicom_date(text)
    if parsed is None:
        raise QidoError(f"{text!r} is not a date (YYYYMMDD)")
    return parsed


def _name(path: str, value: str, fuzzy: bool) -> Q:
    if _has_wildcard(value):
        return Q(**{f"{path}__iregex": _wildcard_regex(value)})
    if not fuzzy:
        return Q(**{f"{path}__iexact": value})
    condition = Q()
    for word in filter(None, re.split(r"[\s^,=]+", value)):
        condition &= Q(**{f"{path}__iregex": r"(^|[\s^=])" + re.escape(word)})
    return condition


# -- answers ---------------------------------------------------------------------------------


def study_results(studies: QuerySet[Study], query: QidoQuery, base_url: str) -> list[dict]:
    page = list(
        studies.filter(query_filter(query))
        .annotate(series_count=Count("series", distinct=True))
        .annotate(instance_count=Count("series__instances"))
        .order_by(F("study_date").desc(nulls_last=True), "pk")[
            query.offset : query.offset + query.limit
        ]
    )
    headers = _first_headers("series__study_id", [s.pk for s in page], query)
    return [
        _answer(
            {
                **study_attributes(study),
                "NumberOfStudyRelatedSeries": study.series_count,
                "NumberOfStudyRelatedInstances": study.instance_count,
                "RetrieveURL": f"{base_url}/studies/{study.study_instance_uid}",
            },
            headers.get(study.pk),
            query,
        )
        for study in page
    ]


def series_results(series: QuerySet[Series], query: QidoQuery, base_url: str) -> list[dict]:
    page = list(
        series.filter(query_filter(query))
        .select_related("study")
        .annotate(instance_count=Count("instances"))
        .order_by("study_id", F("series_number").asc(nulls_last=True), "pk")[
            query.offset : query.offset + query.limit
        ]
    )
    headers = _first_headers("series_id", [s.pk for s in page], query)
    return [
        _answer(
            {
                **study_attributes(s.study),
                "Modality": s.modality,
                "SeriesDescription": s.series_description,
                "SeriesNumber": s.series_number,
                "SeriesInstanceUID": s.series_instance_uid,
                "BodyPartExamined": s.body_part_examined,
                "NumberOfSeriesRelatedInstances": s.instance_count,
                "RetrieveURL": f"{base_url}/studies/{s.study.study_instance_uid}"
                f"/series/{s.series_instance_uid}",
            },
            headers.get(s.pk),
            query,
        )
        for s in page
    ]


def instance_results(instances: QuerySet[Instance], query: QidoQuery, base_url: str) -> list[dict]:
    page = instances.filter(query_filter(query)).select_related("series__study")
    if not (query.include_all or query.include):
        page = page.defer("header")
    page = page.order_by(
        "series__study_id", "series_id", F("instance_number").asc(nulls_last=True), "pk"
    )[query.offset : query.offset + query.limit]
    return [
        _answer(
            _instance_attributes(i, base_url), i.header if _needs_header(query) else None, query
        )
        for i in page
    ]


def _instance_attributes(instance: Instance, base_url: str) -> dict[str, Any]:
    series, study = instance.series, instance.series.study
    return {
        **study_attributes(study),
        "SeriesInstanceUID": series.series_instance_uid,
        "Modality": series.modality,
        "SOPClassUID": instance.sop_class_uid,
        "SOPInstanceUID": instance.sop_instance_uid,
        "InstanceNumber": instance.instance_number,
        "Rows": instance.rows,
        "Columns": instance.columns,
        "BitsAllocated": instance.bits_allocated,
        "NumberOfFrames": instance.number_of_frames,
        "AvailableTransferSyntaxUID": instance.transfer_syntax_uid,
        "RetrieveURL": f"{base_url}/studies/{study.study_instance_uid}"
        f"/series/{series.series_instance_uid}/instances/{instance.sop_instance_uid}",
    }


def study_attributes(study: Study) -> dict[str, Any]:
    return {
        "StudyDate": study.study_date,
        "StudyTime": study.study_time,
        "AccessionNumber": study.accession_number,
        "ModalitiesInStudy": list(study.modalities),
        "ReferringPhysicianName": study.referring_physician_name,
        "PatientName": study.patient_name,
        "PatientID": study.patient_id,
        "PatientBirthDate": study.patient_birth_date,
        "PatientSex": study.patient_sex,
        "StudyInstanceUID": study.study_instance_uid,
        "StudyID": study.study_id,
        "StudyDescription": study.study_description,
    }


def _needs_header(query: QidoQuery) -> bool:
    return query.include_all or bool(query.include - _INDEXED)


_INDEXED = {
    *STUDY_ATTRIBUTES,
    "NumberOfStudyRelatedSeries",
    "NumberOfStudyRelatedInstances",
    "NumberOfSeriesRelatedInstances",
    "RetrieveURL",
    "Modality",
    "SeriesDescription",
    "SeriesNumber",
    "SeriesInstanceUID",
    "BodyPartExamined",
}


def _first_headers(group_field: str, pks: list[int], query: QidoQuery) -> dict[int, dict]:
    """For included attributes the index lacks: the header of the first instance of each group."""
    if not pks or not _needs_header(query):
        return {}
    rows = (
        Instance.objects.filter(**{f"{group_field}__in": pks})
        .order_by(group_field, "pk")
        .distinct(group_field)
        .values_list(group_field, "header")
    )
    return dict(rows)


def _answer(attributes: dict[str, Any], header: dict | None, query: QidoQuery) -> dict:
    answer = dataset_json(attributes)
    if header is None:
        return answer
    if query.include_all:
        wanted = header
    else:
        wanted = {}
        for keyword in query.include:
            tag = tag_hex(keyword)
            if tag in header:
                wanted[tag] = header[tag]
    return dict(sorted({**wanted, **answer}.items()))
