"""A sponsor's briefs as JSON, scoped to the user's organisation."""
