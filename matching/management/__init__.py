"""Management commands of the sponsors' side."""
