import pytest

from tests.imaging.conftest import CT, DICOMDIR, MR, MULTIFRAME, ingest, variant
from tests.imaging.dicomweb_client import token_client, value

pytestmark = pytest.mark.django_db

STUDY_UID, PATIENT_ID, PATIENT_NAME, STUDY_DATE = "0020000D", "00100020", "00100010", "00080020"
MODALITIES, ACCESSION = "00080061", "00080050"


@pytest.fixture
def archive(physician):
    """9 studies: CT 2004-01-19 (1CT1), MR 2004-08-26 (4MR1), enhanced MR 2000-01-01, one file
    of each DICOMDIR series folder (5 studies: Doe^Archibald 77654033 on 1995-09-03 and
    2001-01-01; Doe^Peter 98890234), and a CT of van der Berg^Anna with accession A-77."""
    one_per_series = [min(folder.iterdir()) for folder in sorted(DICOMDIR.glob("*/*"))]
    ingest(physician, CT, MR, MULTIFRAME, *one_per_series)
    ingest(
        physician, ("acc.dcm", variant(CT, AccessionNumber="A-77", PatientName="van der Berg^Anna"))
    )
    return token_client(physician)


def studies(client, **params) -> list[dict]:
    response = client.get("/dicomweb/studies", params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/dicom+json"
    return response.json()


def test_all_studies_carry_the_required_attributes(archive):
    answer = studies(archive)
    assert len(answer) == 9
    first = answer[0]
    for tag in (
        STUDY_UID,
        PATIENT_ID,
        PATIENT_NAME,
        STUDY_DATE,
        MODALITIES,
        "00081190",
        "00201206",
        "00201208",
    ):
        assert tag in first
    assert first["00100010"]["vr"] == "PN"


def test_patient_id_and_accession_number(archive):
    assert {value(s, PATIENT_ID) for s in studies(archive, PatientID="1CT1")} == {"1CT1"}
    assert len(studies(archive, PatientID="1CT1")) == 2
    [study] = studies(archive, AccessionNumber="A-77")
    assert value(study, ACCESSION) == "A-77"
    assert len(studies(archive, **{"00100020": "4MR1"})) == 1  # by tag


def test_study_date_ranges(archive):
    dates = lambda **p: sorted(value(s, STUDY_DATE) for s in studies(archive, **p))  # noqa: E731
    assert dates(StudyDate="20040101-20041231") == ["20040119", "20040119", "20040826"]
    assert dates(StudyDate="20040826") == ["20040826"]
    assert dates(StudyDate="-19991231") == ["19950903"]
    assert "20040826" in dates(StudyDate="20040201-") and "20040119" not in dates(
        StudyDate="20040201-"
    )


def test_modalities_in_study(archive):
    found = studies(archive, ModalitiesInStudy="CR")
    assert found and all("CR" in s[MODALITIES]["Value"] for s in found)
    assert (
        len(studies(archive, ModalitiesInStudy="MR"))
        > len(studies(archive, ModalitiesInStudy="CT")) - 3
    )


def test_person_names_exact_wildcard_and_fuzzy(archive):
    assert studies(archive, PatientName="compressedsamples^ct1")  # case-insensitive exact
    assert not studies(archive, PatientName="CompressedSamples")
    wild = studies(archive, PatientName="Compressed*")
    assert {value(s, PATIENT_ID) for s in wild} == {"1CT1", "4MR1"}
    assert {value(s, PATIENT_ID) for s in studies(archive, PatientName="doe*")} == {
        "77654033",
        "98890234",
    }
    assert {value(s, PATIENT_ID) for s in studies(archive, PatientName="Doe^P*")} == {"98890234"}
    fuzzy = studies(archive, PatientName="berg anna", fuzzymatching="true")
    assert [value(s, ACCESSION) for s in fuzzy] == ["A-77"]
    assert not studies(archive, PatientName="erg", fuzzymatching="true")  # words start components


def test_limit_offset_and_includefield(archive):
    everything = [value(s, STUDY_UID) for s in studies(archive)]
    page = [value(s, STUDY_UID) for s in studies(archive, limit=3, offset=2)]
    assert page == everything[2:5]
    [study] = studies(archive, PatientID="4MR1", includefield="00180081,SeriesDescription")
    assert study["00180081"]["vr"] == "DS"  # EchoTime, from the stored header
    [full] = studies(archive, PatientID="4MR1", includefield="all")
    assert "00280010" in full  # Rows


def test_series_and_instance_levels(archive):
    [study] = studies(archive, PatientID="4MR1")
    study_uid = value(study, STUDY_UID)
    series = archive.get(f"/dicomweb/studies/{study_uid}/series").json()
    assert len(series) == 1 and value(series[0], "00080060") == "MR"
    series_uid = value(series[0], "0020000E")
    instances = archive.get(f"/dicomweb/studies/{study_uid}/series/{series_uid}/instances").json()
    assert len(instances) == 1 and value(instances[0], "00280010") == 64
    assert archive.get("/dicomweb/series", {"Modality": "CR"}).json()
    assert len(archive.get("/dicomweb/instances", {"PatientID": "1CT1"}).json()) == 2
    frames = archive.get("/dicomweb/instances", {"NumberOfFrames": ""}).json()
    assert 10 in {value(i, "00280008") for i in frames}


def test_malformed_queries_are_refused(archive):
    assert archive.get("/dicomweb/studies", {"StudyDate": "2004"}).status_code == 400
    assert archive.get("/dicomweb/studies", {"limit": "-1"}).status_code == 400
    response = archive.get("/dicomweb/studies", {"Unknown": "x"})
    assert response.status_code == 200 and "not supported" in response["Warning"]
