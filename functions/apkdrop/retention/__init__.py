"""Retention: owners' policies of how many versions of each channel to keep and for how long,
enforced after each upload (keepLatest) and by a scheduled sweep (both rules); the sweep also
deletes build projects' upload contexts older than their maxAgeDays (projects.py)."""
