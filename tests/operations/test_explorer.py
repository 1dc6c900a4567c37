import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from fhirapi.audit.models import AuditRecord
from fhirapi.explorer.capability import type_options
from tests.fhirapi.conftest import observation, patient

HTMX_RESULTS = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}


@pytest.fixture
def explorer(signed_in, administrator):
    return signed_in(administrator)


@pytest.mark.django_db
def test_explorer_is_for_staff_and_holders_of_the_permission(signed_in, physician, outsider):
    assert signed_in(physician).get("/explorer/").status_code == 403
    outsider.user_permissions.add(
        Permission.objects.get(codename="use_explorer", content_type__app_label="fhirexplorer")
    )
    without_role = signed_in(outsider).get("/explorer/")
    assert without_role.status_code == 200  # the page; the data is what the user's role allows
    assert "your role does not allow search of every resource type" in without_role.content.decode()
    staff = get_user_model().objects.create_user("staff-sam", is_staff=True)
    assert signed_in(staff).get("/explorer/").status_code == 200


@pytest.mark.django_db
def test_admin_role_holds_the_permission(administrator):
    administrator.is_staff = False
    assert administrator.has_perm("fhirexplorer.use_explorer")


@pytest.mark.django_db
def test_types_with_counts(explorer, repository):
    subject = repository.create(patient()).stored
    repository.create(observation(subject.relative_url))
    repository.create(observation(subject.relative_url))
    page = explorer.get("/explorer/").content.decode()
    assert (
        '<a href="/explorer/?type=Observation">Observation</a> <span class="count">2</span>' in page
    )
    assert '<a href="/explorer/?type=Patient">Patient</a> <span class="count">1</span>' in page


def test_builder_options_come_from_the_capability_statement():
    options = type_options("Patient")
    family = options.param("family")
    assert family.type == "string" and {"exact", "contains", "missing"} <= set(family.modifiers)
    assert options.param("birthdate").prefixes[:3] == ("eq", "ne", "gt")
    assert options.param("family").prefixes == ()
    assert "_id" in {p.name for p in options.params}  # the parameters of every type
    assert "birthdate" in options.sortable


@pytest.mark.django_db
def test_search_shows_request_url_table_and_json(explorer, repository, settings):
    repository.create(patient("Chalmers"))
    repository.create(patient("Levin"))
    query = (
        "/explorer/?type=Patient&run=1&param=family&modifier=exact&prefix=&value=Chalmers"
        "&param=birthdate&modifier=&prefix=ge&value=1970-01-01&sort=birthdate&order=desc"
    )
    response = explorer.get(query, **HTMX_RESULTS)
    html = response.content.decode()
    assert "<html" not in html  # the fragment only
    url = "/Patient?family:exact=Chalmers&amp;birthdate=ge1970-01-01&amp;_sort=-birthdate"
    assert f'<code id="request-url">GET {settings.FHIR_BASE_URL}{url}</code>' in html
    assert "1 matching" in html
    assert "Peter James Chalmers" in html and "Levin" not in html
    assert "&quot;resourceType&quot;: &quot;Bundle&quot;" in html
    audit = AuditRecord.objects.filter(subtype="search-type", username="admin-ada").get()
    assert audit.content["outcomeDesc"] == "FHIR explorer"


@pytest.mark.django_db
def test_full_page_without_htmx_keeps_builder_rows(explorer, repository):
    repository.create(patient("Chalmers"))
    html = explorer.get(
        "/explorer/?type=Patient&run=1&param=family&modifier=&prefix=&value=Chalmers&add=1"
    ).content.decode()
    assert "<html" in html and html.count('class="param-row row"') == 2
    assert 'value="Chalmers"' in html


@pytest.mark.django_db
def test_invalid_search_shows_the_error(explorer):
    html = explorer.get(
        "/explorer/?type=Patient&run=1&param=birthdate&modifier=&prefix=&value=not-a-date",
        **HTMX_RESULTS,
    ).content.decode()
    assert 'role="alert"' in html


@pytest.mark.django_db
def test_param_row_offers_the_parameters_modifiers_and_prefixes(explorer):
    html = explorer.get("/explorer/param-row?type=Patient&param=birthdate").content.decode()
    assert '<select name="prefix">' in html and "<option>ap</option>" in html
    html = explorer.get("/explorer/param-row?type=Patient&param=family").content.decode()
    assert "<option>exact</option>" in html and '<input type="hidden" name="prefix"' in html
    assert explorer.get("/explorer/param-row?type=Nope").status_code == 404


@pytest.mark.django_db
def test_resource_page_links_references_and_diffs_versions(explorer, repository, settings):
    subject = repository.create(patient()).stored
    obs = repository.create(observation(subject.relative_url)).stored
    changed = {**obs.content, "status": "amended"}
    repository.update("Observation", obs.resource_id, changed)
    html = explorer.get(f"/explorer/Observation/{obs.resource_id}/").content.decode()
    assert f'<a href="/explorer/Patient/{subject.resource_id}/" class="reference">' in html
    assert "Version 1 → 2" in html
    assert "<code>status</code></td><td>changed</td>" in html
    assert '<span class="diff-add">+  &quot;status&quot;: &quot;amended&quot;,</span>' in html
    fragment = explorer.get(
        f"/explorer/Observation/{obs.resource_id}/?from=2&to=2",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="diff",
    ).content.decode()
    assert "<html" not in fragment and "nothing to compare" in fragment


@pytest.mark.django_db
def test_unknown_resource_is_404(explorer):
    assert explorer.get("/explorer/Patient/does-not-exist/").status_code == 404
