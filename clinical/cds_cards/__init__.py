"""Decision-support cards in the workspace: asking cds/ for them (patient-view on the summary,
order-sign before an order is final), keeping them for the session, accepting a suggestion or
overriding a card with a reason (feedback goes back to the service)."""
