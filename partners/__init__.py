"""The catalogue: providers, their sites, capabilities, certifications and regulator records."""
