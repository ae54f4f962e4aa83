"""The public tracker: cases, officials, timelines, metrics, feeds."""
