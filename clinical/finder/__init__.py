"""The patient finder: search as you type, my recent patients, the ward list."""
