"""Results: lab results by panel and date, trends per analyte, acknowledgement, the inbox."""
