"""FHIR R4 Subscriptions: a client posts a `Subscription` (criteria = a search URL such as
`Observation?code=http://loinc.org|2339-0&patient=Patient/1`) and is told of every committed
change of a matching resource.

- Activation: a Subscription created (or updated) with status `requested` is checked after commit
  (the criteria must be a search the engine accepts; the channel `rest-hook` with an http(s)
  endpoint or `websocket`; payload empty or JSON) and set to `active`, or to `error` with the
  reason in `Subscription.error`.
- Matching: for each committed transaction, the active subscriptions on the changed types are
  asked, one search each, which of the changed resources match `criteria` + `_id=<ids>`; only
  those the subscription's owner may see count (`models.SubscriptionOwner`: whoever last wrote
  it, with their token's scopes; the server's own status writes keep the owner). A payload is
  read as the owner at delivery, and only the owner binds a websocket to it.
- rest-hook: a Celery task (eager without REDIS_URL) POSTs an empty notification to the endpoint,
  or, with a payload, PUTs the resource to `<endpoint>/<type>/<id>` (R4), with the channel's
  header lines. A failed attempt is retried FHIR_SUBSCRIPTION_RETRIES times with exponential
  back-off (FHIR_SUBSCRIPTION_RETRY_SECONDS, then twice that, ...); after
  FHIR_SUBSCRIPTION_MAX_FAILURES consecutive failed attempts the status becomes `error` with the
  reason, and deliveries go on: the first success sets it `active` again. A notification whose
  retries ran out is parked (`models.PendingNotification`) and tried again by the periodic job
  `tasks.subscriptions_retry` (every 5 minutes) for FHIR_SUBSCRIPTION_RETRY_HOURS.
- Administration: the admin's Subscriptions page (clinical/operations) lists them with the last
  delivery (`SubscriptionChannel.last_delivery_at`, `last_error`) and switches them off or on
  again through FhirRepository (`selectors.py`, `services.subscription_switch`).
- websocket (R4): connect to `/ws/fhir-subscriptions` (signed in, or `Authorization: Bearer`),
  send `bind <id>`, get `bound <id>`, then `ping <id>` on every notification.

`models.SubscriptionChannel` is the index of subscriptions that get notifications (status active
or error), kept in step with the Subscription resources by their own change events.
"""
