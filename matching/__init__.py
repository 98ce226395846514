"""The sponsors' side: organisations, briefs, the scoring engine, match runs and shortlists."""
