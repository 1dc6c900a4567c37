"""Clinical notes: SOAP or free text from templates, drafts, signing (immutable), amendments."""
