"""Append-only, verifiable logs: the newsroom's custody log of every access to evidence.

Each record carries a MAC over its content and the previous record's MAC, keyed by a secret
kept outside the database, so that editing, deleting or inserting a record in the database is
detected by `jiandu verify_custody` — even by someone who recomputes the chain, unless they
also hold the server's key file.
"""
