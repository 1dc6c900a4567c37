"""Decision-support rules written without code: conditions on patient data and a card template,
versioned, each enabled rule served as CDS service `rule-<slug>`."""
