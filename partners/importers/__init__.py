"""Importers and exporters of catalogue data: the catalogue file and regulator files."""
