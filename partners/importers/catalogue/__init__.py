"""The catalogue file (JSON Lines, one provider per line; DESIGN.md): import and export.

- `format`: the keys of each object and the natural keys of its records, shared by both ways;
- `parsing`: the value parsers and field tables, a JSON value in and a model field value out;
- `checking`: one line read and checked against the format and the vocabulary, into entries;
- `writing`: one checked line written, saving only the rows that differ;
- `ownership`: whose regulator records are whose before and after a line, so that no line
  moves one to another provider;
- `report`: what an import read and did, with each rejected line and its problems;
- `importer`: `import_catalogue`, the whole import and its rules;
- `export`: `export_catalogue`, the catalogue written as a catalogue file.
"""
