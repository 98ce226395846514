"""A team's shortlists as JSON: candidates through the pipeline, owners and due dates, notes
and the activity log, scoped to the user's organisation."""
