"""The signed transparency log of every publication (C2SP tlog-tiles under /log/), its
witness API and client, the verify page, and the checkpoint explained for people.

It knows nothing of the rooms that publish: an entry is a kind, a subject and a SHA-256 with
whatever else its caller puts in it (the cases room builds its own entries). A ground-floor
room: it imports `core` only.
"""
