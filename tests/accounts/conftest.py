"""Shared fixtures of the accounts tests."""
