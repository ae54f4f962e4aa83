"""The tip line: where sources submit, and come back with their codename."""
