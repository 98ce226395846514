"""Who may sign in and how: API tokens, sign-in throttling, two-factor sign-in, sessions.

The top layer: it may read organisation roles from `matching`, and nothing imports it except
settings (authentication classes and middleware are named there as strings) and the URLconf.
"""
