"""The cases room: officials, cases, sourced timelines, conflicting claims, published evidence,
and the editorial workflow that turns a newsroom draft into a public revision.

The public site (jiandu.public) reads only what this room has published: the snapshots kept in
`Revision` rows, never the working copy editors are changing.
"""
