"""What the regulators' records say about a site.

compliance.py      the compliance score: a published, plain-Python function of the records
stored_scores.py   each site's stored score kept current (the score's ORM side)
linking.py         regulator records linked to the site carrying their FEI
methodology.py     the score's method as /methodology/ publishes it, with a worked example
unmatched_feis.py  the FEIs of imported records that no site carries yet, for curators
"""
