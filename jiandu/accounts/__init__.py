"""Newsroom accounts: members, roles, passwords (Argon2id) and the mandatory second factor."""
