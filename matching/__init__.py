"""The sponsors' side: organisations, briefs, the scoring engine (engine/), match runs and their
results."""
