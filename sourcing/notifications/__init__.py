"""Notifications as their recipients meet them: the bell's count (context_processors.py), the
inbox's reads and marks (inbox.py), the settings form (forms.py), and the e-mails, one at once
(mail.py) or a daily digest (digest.py)."""
