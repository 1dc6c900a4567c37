"""CPOE: medication orders (MedicationRequest) and lab/imaging orders (ServiceRequest), drafted,
reviewed by decision support (order-sign) and signed."""
