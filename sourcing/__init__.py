"""Procurement: shortlists of sites, the candidate pipeline, notes and the activity log, fed by
partners (the sites) and matching (organisations, briefs and runs). Neither imports it."""
