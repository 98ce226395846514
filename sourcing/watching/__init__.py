"""Watches and what they raise: which sites are watched and by whom (watchers.py), what counts as
an event on a site's regulator record (events.py), the sweep that finds new events and tells the
watchers (detection.py), certificates running out (certificates.py), and the one way an alert and
its notifications are written (alerts.py)."""
