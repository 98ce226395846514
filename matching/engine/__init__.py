"""The matching engine: plain Python and NumPy, no Django (an import contract holds it so).

criteria.py    what a brief asks (BriefCriteria), the criteria and their labels and weights
catalogue.py   the catalogue as arrays, one row per site (CatalogueIndex)
scoring.py     every site scored, excluded or ranked against one brief, and explained
scales.py      the fixed, published scales of the phase and scale sub-scores
mcda.py        TOPSIS on the fixed 0-1 scale (what runs use), and the classic method
"""
