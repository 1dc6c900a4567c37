"""SMART App Launch 2.x: the OAuth2/OpenID Connect authorization server (django-oauth-toolkit),
EHR and standalone launches, SMART Backend Services, and the scope policy every FHIR interaction
is checked against."""
