"""What the matching app tells later apps, without importing them: they connect receivers to
these signals (the data flows partners → matching → sourcing, never back)."""

from django.dispatch import Signal

# Sent, with `run_id`, once a match run's results are stored and the run is done: a shortlist
# of the run's brief scores the candidates it holds "not scored" (sourcing/signals.py).
run_done = Signal()
