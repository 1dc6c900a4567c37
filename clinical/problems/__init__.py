"""Problems: the patient's Conditions (problem-list items): add, edit, resolve."""
