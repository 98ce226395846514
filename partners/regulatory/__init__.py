"""What the regulators' records say about a site.

compliance.py      the compliance score: a published, plain-Python function of the records
stored_scores.py   each site's stored score kept current (the score's ORM side)
fei_rule.py        the linking rule: which of the sites sharing an FEI a record belongs to
linking.py         regulator records linked to the site the rule gives; what an FEI change moves
methodology.py     the score's method as /methodology/ publishes it, with a worked example
unmatched_feis.py  the FEIs of imported records that no site carries yet, for curators
"""
