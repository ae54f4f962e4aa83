"""The newsroom's pages, one module per part: `sources` (the inbox, a source's conversation,
previews, replies, exports, the vault key), `settings` (notifications, key status, retention,
members). Nothing is re-exported here: the URL map imports each view from its module."""
