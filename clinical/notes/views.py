from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinical.chart.access import Chart, chart_view
from clinical.chart.header import active_encounter
from clinical.chart.rendering import after_write, render_chart
from clinical.fhir.practitioners import practitioner_id
from clinical.fhir.writes import require_permission
from clinical.notes.forms import NoteFilterForm, NoteForm, form_from_template
from clinical.notes.note_templates import TEMPLATES, soap_sections
from clinical.notes.selectors import note_row, patient_note, patient_notes
from clinical.notes.services import note_amend_start, note_save
from clinical.roles import EDIT_CHART
from fhirapi.errors import VersionConflict


def _list(request: HttpRequest, chart: Chart, notice: str = "") -> HttpResponse:
    every = patient_notes(user=request.user, patient_id=chart.patient_id)
    authors = sorted({(r.author_id, r.author) for r in every if r.author_id}, key=lambda a: a[1])
    form = NoteFilterForm(request.GET or None, authors=authors)
    author = form.cleaned_data["author"] if form.is_valid() else ""
    context = {
        "notes": [r for r in every if not author or r.author_id == author],
        "filter_form": form,
        "templates": TEMPLATES.values(),
        "me": practitioner_id(request.user),
        "notice": notice,
    }
    return render_chart(request, chart, tab="notes", panel="clinical/_notes.html", context=context)


@chart_view("notes")
@require_GET
def notes(request: HttpRequest, chart: Chart) -> HttpResponse:
    return _list(request, chart)


def _editor(
    request: HttpRequest, chart: Chart, form: NoteForm, note=None, notice: str = ""
) -> HttpResponse:
    context = {"form": form, "note": note, "notice": notice}
    return render_chart(
        request, chart, tab="notes", panel="clinical/_note_editor.html", context=context
    )


@chart_view("note new")
@require_http_methods(["GET", "POST"])
def note_new(request: HttpRequest, chart: Chart) -> HttpResponse:
    require_permission(request.user, EDIT_CHART, "write notes")
    if request.method == "GET":
        return _editor(request, chart, form_from_template(request.GET.get("template", "soap")))
    return _save(request, chart, NoteForm(request.POST), None)


@chart_view("note")
@require_http_methods(["GET", "POST"])
def note_detail(request: HttpRequest, chart: Chart, note_id: str) -> HttpResponse:
    document = _document(request, chart, note_id)
    row = note_row(document)
    mine = row.author_id == practitioner_id(request.user)
    if request.method == "GET":
        if row.draft and mine and request.user.has_perm(EDIT_CHART):
            return _editor(request, chart, _draft_form(row), row)
        return render_chart(
            request, chart, tab="notes", panel="clinical/_note_view.html", context={"note": row}
        )
    require_permission(request.user, EDIT_CHART, "write notes")
    return _save(request, chart, NoteForm(request.POST), document)


@chart_view("note amend")
@require_POST
def note_amend(request: HttpRequest, chart: Chart, note_id: str) -> HttpResponse:
    require_permission(request.user, EDIT_CHART, "write notes")
    document = _document(request, chart, note_id)
    try:
        new_id = note_amend_start(
            patient_id=chart.patient_id, document=document, acting_user=request.user
        )
    except ValidationError as exc:
        return render_chart(
            request,
            chart,
            tab="notes",
            panel="clinical/_note_view.html",
            context={"note": note_row(document), "amend_error": exc.messages[0]},
        )
    return after_write(
        request,
        chart,
        notice="Amendment started: edit it, then sign it to replace the original.",
        url_name="chart-note",
        render_tab=lambda notice: _draft_editor(request, chart, new_id, notice),
        note_id=new_id,
    )


def _save(request: HttpRequest, chart: Chart, form: NoteForm, document) -> HttpResponse:
    row = note_row(document) if document else None
    if form.is_valid():
        sign = "sign" in request.POST
        encounter = active_encounter(user=request.user, patient_id=chart.patient_id)
        try:
            note_id = note_save(
                patient_id=chart.patient_id,
                document=document,
                title=form.cleaned_data["title"],
                type_code=form.cleaned_data["type_code"],
                text=form.cleaned_data["full_text"],
                sign=sign,
                encounter_id=encounter.encounter_id if encounter else None,
                acting_user=request.user,
            )
        except (ValidationError, VersionConflict, PermissionDenied) as exc:
            form.add_error(None, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
        else:
            if sign:
                return after_write(
                    request,
                    chart,
                    notice="Note signed.",
                    url_name="chart-notes",
                    render_tab=lambda notice: _list(request, chart, notice),
                )
            return after_write(
                request,
                chart,
                notice="Draft saved.",
                url_name="chart-note",
                note_id=note_id,
                render_tab=lambda notice: _draft_editor(request, chart, note_id, notice),
            )
    return _editor(request, chart, form, row)


def _draft_editor(request: HttpRequest, chart: Chart, note_id: str, notice: str) -> HttpResponse:
    row = note_row(_document(request, chart, note_id))
    return _editor(request, chart, _draft_form(row), row, notice)


def _draft_form(row) -> NoteForm:
    sections = soap_sections(row.text)
    initial = {"title": row.title, "type_code": row.type_code, "version": row.version}
    if sections is not None:
        initial |= {"soap": True, **sections}
    else:
        initial |= {"soap": False, "text": row.text}
    return NoteForm(initial=initial)


def _document(request: HttpRequest, chart: Chart, note_id: str) -> dict:
    document = patient_note(user=request.user, patient_id=chart.patient_id, note_id=note_id)
    if document is None:
        raise Http404("No such note in this chart.")
    return document
