"""Bulk tests: Synthea data in both forms (a transaction Bundle, trimmed Bulk NDJSON), archive
makers, and three users: alice and bob may export and import, charlie may not."""

import io
import tarfile
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection

from clinical.roles import ADMIN, PHYSICIAN
from fhirapi.bulk.importer import Importer
from fhirapi.store.models import ResourceRecord
from tests.fhirapi.conftest import FIXTURES, FhirClient

BUNDLE = FIXTURES / "synthea" / "Malcolm_Dach_281f4a03-57e9-4b22-a322-68890ff22172.json"
NDJSON_DIR = FIXTURES / "bulk" / "synthea-ndjson"
NDJSON_RESOURCES = sum(
    1 for path in NDJSON_DIR.glob("*.ndjson") for line in path.open() if line.strip()
)


@pytest.fixture(autouse=True)
def bulk_dirs(settings, tmp_path: Path) -> Path:
    settings.FHIR_EXPORT_DIR = tmp_path / "exports"
    settings.FHIR_IMPORT_DIR = tmp_path / "imports"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FHIR_IMPORT_DIR.mkdir()
    return tmp_path


@pytest.fixture
def importer(db) -> Importer:
    return Importer(chunk_size=50)


@pytest.fixture
def loaded(db, importer):
    importer.import_paths([NDJSON_DIR])


def bulk_user(username: str, *, allowed: bool):
    user = get_user_model().objects.create_user(username, password="unused-in-tests")
    # FHIR rights of the role; the admin role may also import (clinical/roles.py), a physician not
    role = ADMIN if allowed else PHYSICIAN
    user.groups.add(Group.objects.get_or_create(name=role.name)[0])
    if allowed:
        codenames = ("add_exportjob", "add_importjob")
        user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return get_user_model().objects.get(pk=user.pk)  # fresh: no cached permissions


def client_for(user) -> FhirClient:
    client = FhirClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def alice(db):
    return bulk_user("alice", allowed=True)


@pytest.fixture
def bob(db):
    return bulk_user("bob", allowed=True)


@pytest.fixture
def charlie(db):
    return bulk_user("charlie", allowed=False)


def store_wipe() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks left to block it
        cursor.execute(f"TRUNCATE {ResourceRecord._meta.db_table} CASCADE")


def current_store() -> dict[tuple[str, str], dict]:
    """Every current resource, without the server's meta.versionId and meta.lastUpdated."""
    store = {}
    for record in ResourceRecord.objects.filter(deleted=False):
        content = dict(record.content)
        meta = {
            k: v for k, v in content.pop("meta").items() if k not in ("versionId", "lastUpdated")
        }
        if meta:
            content["meta"] = meta
        store[(record.resource_type, record.resource_id)] = content
    return store


def zip_of(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def tar_of(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def ndjson_members() -> dict[str, bytes]:
    return {f"export/{p.name}": p.read_bytes() for p in sorted(NDJSON_DIR.glob("*.ndjson"))}
