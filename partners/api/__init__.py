"""The catalogue as JSON: the directory's list, provider profiles and the vocabulary."""
