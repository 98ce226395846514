"""The deterministic demo catalogue behind `manage.py seed_demo` and the benchmarks.

- `data`: the tables it is drawn from (countries, plant archetypes, name parts, record sources).
- `generator`: `generate_catalogue`, which plans providers, sites and their records in memory.
- `seeding`: `seed_catalogue`, which writes a planned catalogue to the database.
"""
