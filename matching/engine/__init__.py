"""The matching engine: plain Python and NumPy, no Django (an import contract holds it so).

criteria.py    what a brief asks (BriefCriteria), the criteria and their labels and weights
catalogue.py   the catalogue as arrays, one row per site (CatalogueIndex)
scoring.py     every site scored, excluded or ranked against one brief, and explained
mcda.py        TOPSIS, the second ranking method
"""
