"""The workspace's CDS Hooks client: call every built-in, rule and external service registered
for a hook within a time budget, apply a suggestion, and send feedback.

    results = call_hooks(hook="patient-view", context={"userId": "Practitioner/1"},
                         user=request.user, patient_id="123")
    for result in results:  # cards first (critical, warning, info), then failures
        result.card or result.error

A slow, failing or malformed service never raises: it is logged and returned as a CardResult
with `error` set and no card."""

import logging
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from cds.cards import card_errors, response_errors
from cds.client_signing import bearer_header
from cds.data_sources import (
    DataSource,
    DataUnavailable,
    MemoizedSource,
    RepositorySource,
    run_query,
)
from cds.execution import execute
from cds.feedback import FeedbackItem, cards_record_shown, feedback_record
from cds.hooks import accepted_hooks, context_errors, normalized_context
from cds.models import ExternalCdsService
from cds.prefetch import render_template, token_values
from cds.registry import ServiceDefinition, all_services
from cds.request import CdsRequest
from fhirapi.errors import FhirError
from fhirapi.services import FhirRepository, user_actor

logger = logging.getLogger(__name__)
_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="cds-client")
INDICATOR_ORDER = {"critical": 0, "warning": 1, "info": 2}
BUILT_IN, RULE = "built-in", "rule"


@dataclass(frozen=True)
class CardResult:
    """One card from one service, or one service's failure (`error`, no card)."""

    service_id: str
    service_title: str
    origin: str  # "built-in", "rule", or the external provider's base URL
    card: dict[str, Any] | None = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def external(self) -> bool:
        return self.origin not in (BUILT_IN, RULE)


@dataclass(frozen=True)
class _External:
    provider: ExternalCdsService
    entry: dict[str, Any]

    @property
    def url(self) -> str:
        return f"{self.provider.base_url.rstrip('/')}/cds-services/{self.entry['id']}"


def call_hooks(
    *,
    hook: str,
    context: dict[str, Any],
    user: AbstractBaseUser,
    patient_id: str,
    timeout: float | None = None,
) -> list[CardResult]:
    """Cards of every service on `hook`; `context` must hold the hook's fields except patientId
    (e.g. userId, and draftOrders for order-sign)."""
    budget = settings.CDS_HOOKS_TIME_BUDGET_SECONDS if timeout is None else timeout
    deadline = time.monotonic() + budget
    context = {**context, "patientId": patient_id}
    if errors := context_errors(hook, context):
        raise ValueError("; ".join(errors))
    request = CdsRequest(
        hook=hook,
        hook_instance=str(uuid.uuid4()),
        context=normalized_context(hook, context),
        fhir_server=settings.FHIR_BASE_URL,
    )
    source = MemoizedSource(RepositorySource(FhirRepository(actor=user_actor(user))))
    pending = {
        _POOL.submit(_call_external, ext, _body(request, ext, source), budget): ext
        for ext in _externals(hook)
    }
    results = [r for s in _services(hook) for r in _call_own(s, request, source)]
    done, late = wait(pending, timeout=max(0.0, deadline - time.monotonic()))
    for future in done:
        results += _external_results(pending[future], future, request)
    for future in late:
        ext = pending[future]
        logger.warning("CDS service %s timed out after %.1fs", ext.url, budget)
        results.append(_failure(ext, f"no answer within {budget:g} s"))
    return sorted(results, key=_order)


def _order(result: CardResult) -> tuple[int, str]:
    if result.card is None:
        return (9, result.service_id)
    return (INDICATOR_ORDER.get(result.card.get("indicator"), 3), result.service_id)


def _services(hook: str) -> list[ServiceDefinition]:
    return [s for s in all_services() if hook in accepted_hooks(s.hooks)]


def _externals(hook: str) -> list[_External]:
    providers = ExternalCdsService.objects.filter(enabled=True)
    return [
        _External(p, entry)
        for p in providers
        for entry in p.services
        if isinstance(entry, dict) and hook in accepted_hooks((entry.get("hook"),))
    ]


def _call_own(
    service: ServiceDefinition, request: CdsRequest, source: DataSource
) -> list[CardResult]:
    try:
        response = execute(service, request, source=source)
    except Exception as exc:
        logger.exception("CDS service %s failed", service.id)
        reason = f"data unavailable: {exc}" if isinstance(exc, DataUnavailable) else "it failed"
        return [CardResult(service.id, service.title, service.origin, error=reason)]
    return [
        CardResult(service.id, service.title, service.origin, card=c) for c in response["cards"]
    ]


def _body(request: CdsRequest, ext: _External, source: DataSource) -> dict[str, Any]:
    return {
        "hook": ext.entry["hook"],
        "hookInstance": request.hook_instance,
        "fhirServer": settings.FHIR_BASE_URL,
        "context": request.context,
        "prefetch": _prefetch(ext.entry.get("prefetch") or {}, request.context, source),
    }


def _prefetch(templates: dict[str, Any], context: dict[str, Any], source: DataSource) -> dict:
    """The templates we can satisfy from our store (others are left out, as the spec says)."""
    values = token_values(context)
    prefetch = {}
    for key, template in templates.items():
        query = render_template(str(template), values)
        if query is None:
            continue
        try:
            prefetch[key] = run_query(source, query)
        except (DataUnavailable, FhirError) as exc:
            logger.info("prefetch %s (%s) left out: %s", key, query, exc)
    return prefetch


def _call_external(ext: _External, body: dict[str, Any], budget: float) -> Any:
    response = httpx.post(ext.url, json=body, headers=bearer_header(ext.url), timeout=budget)
    if response.status_code != 200:
        raise ValueError(f"HTTP {response.status_code}")
    return response.json()


def _external_results(ext: _External, future: Future, request: CdsRequest) -> list[CardResult]:
    title = ext.entry.get("title") or ext.entry["id"]
    try:
        data = future.result()
    except Exception as exc:  # any failure of the call: network, status, JSON
        logger.warning("CDS service %s failed: %s", ext.url, exc)
        return [_failure(ext, f"call failed: {exc}")]
    if not isinstance(data, dict) or not isinstance(data.get("cards"), list):
        logger.warning("CDS service %s sent a malformed response", ext.url)
        return [_failure(ext, "malformed response: " + "; ".join(response_errors(data)))]
    results = []
    for index, card in enumerate(data["cards"]):
        if errors := card_errors(card, f"cards[{index}]"):
            logger.warning("CDS service %s sent a malformed card: %s", ext.url, errors)
            results.append(_failure(ext, "malformed card: " + "; ".join(errors)))
        else:
            results.append(CardResult(ext.entry["id"], title, ext.provider.base_url, card=card))
    shown = [r.card for r in results if r.card]
    cards_record_shown(
        provider=ext.provider, service_id=ext.entry["id"], request=request, cards=shown
    )
    return results


def _failure(ext: _External, error: str) -> CardResult:
    title = ext.entry.get("title") or ext.entry["id"]
    return CardResult(ext.entry["id"], title, ext.provider.base_url, error=error)


# -- acting on cards ------------------------------------------------------------------------------


def apply_suggestion(*, suggestion: dict[str, Any], user: AbstractBaseUser) -> dict[str, Any]:
    """Apply a suggestion's actions as one FHIR transaction (deletes, then creates, then
    updates); returns the transaction-response Bundle. Raises FhirError when the store refuses
    (nothing is written) and ValueError for a suggestion without valid actions."""
    actions = suggestion.get("actions") or []
    if not actions:
        raise ValueError("the suggestion has no actions")
    entries = [_entry(action) for action in actions]
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
    repository = FhirRepository(actor=user_actor(user))
    return repository.transaction(bundle, base_url=settings.FHIR_BASE_URL)


def _entry(action: dict[str, Any]) -> dict[str, Any]:
    kind, resource = action.get("type"), action.get("resource")
    if kind == "delete":
        target = action.get("resourceId") or (resource if isinstance(resource, str) else None)
        if not target:
            raise ValueError("a delete action needs a resourceId")
        return {"request": {"method": "DELETE", "url": target}}
    if not isinstance(resource, dict) or not resource.get("resourceType"):
        raise ValueError(f"a {kind} action needs a resource")
    if kind == "create":
        created = {k: v for k, v in resource.items() if k != "id"}
        return {
            "fullUrl": f"urn:uuid:{uuid.uuid4()}",
            "resource": created,
            "request": {"method": "POST", "url": resource["resourceType"]},
        }
    if kind == "update" and resource.get("id"):
        url = f"{resource['resourceType']}/{resource['id']}"
        return {"fullUrl": url, "resource": resource, "request": {"method": "PUT", "url": url}}
    raise ValueError(f"unsupported action {kind!r} (an update needs the resource's id)")


def send_feedback(
    *,
    result: CardResult,
    outcome: str,
    user: AbstractBaseUser,
    accepted_suggestion_ids: tuple[str, ...] = (),
    override_reason: dict[str, Any] | None = None,
    user_comment: str = "",
) -> bool:
    """Tell the card's service what the user did (accepted / overridden), and keep a copy of
    what is sent to an external one. Returns whether the feedback was delivered; a card without
    a uuid gets none (as the spec says)."""
    card_uuid = (result.card or {}).get("uuid")
    if not card_uuid:
        return False
    item = FeedbackItem(
        card=card_uuid,
        outcome=outcome,
        outcome_timestamp=timezone.now(),
        accepted_suggestions=accepted_suggestion_ids,
        override_reason=override_reason,
        user_comment=user_comment,
    )
    if not result.external:
        feedback_record(service_id=result.service_id, items=[item], client=None, user=user)
        return True
    provider = ExternalCdsService.objects.filter(base_url=result.origin).first()
    if provider is not None:  # kept here too, for the service performance page
        feedback_record(
            service_id=result.service_id, items=[item], client=None, user=user, provider=provider
        )
    return _post_feedback(result, item)


def _post_feedback(result: CardResult, item: FeedbackItem) -> bool:
    url = f"{result.origin.rstrip('/')}/cds-services/{result.service_id}/feedback"
    body: dict[str, Any] = {
        "card": item.card,
        "outcome": item.outcome,
        "outcomeTimestamp": item.outcome_timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if item.accepted_suggestions:
        body["acceptedSuggestions"] = [{"id": s} for s in item.accepted_suggestions]
    if item.override_reason or item.user_comment:
        reason = {"reason": item.override_reason} if item.override_reason else {}
        body["overrideReason"] = (
            {**reason, "userComment": item.user_comment} if item.user_comment else reason
        )
    try:
        response = httpx.post(
            url,
            json={"feedback": [body]},
            headers=bearer_header(url),
            timeout=settings.CDS_HOOKS_TIME_BUDGET_SECONDS,
        )
    except httpx.HTTPError as exc:
        logger.warning("CDS feedback to %s failed: %s", url, exc)
        return False
    if response.status_code >= 300:
        logger.warning("CDS feedback to %s answered %s", url, response.status_code)
    return response.status_code < 300
