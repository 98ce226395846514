"""The directory search's PostgreSQL side: pg_trgm, and the indexes its queries use.

partners/directory/search.py finds the words of provider names and descriptions, and of site
names and cities, by full-text search over `to_tsvector('simple', ...)` documents, which
expression GIN indexes answer; words the catalogue does not know are looked for in names and
cities by trigram word similarity (`name %> 'sevrn'`), which GIN trigram indexes answer. SQLite
has neither (its search is a substring match), so these indexes exist on PostgreSQL only and
the models do not declare them.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import TrigramExtension
from django.contrib.postgres.search import SearchVector
from django.db import migrations


class AddPostgresIndex(migrations.AddIndex):
    """An index built on PostgreSQL only, outside the models' state."""

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            model = from_state.apps.get_model(app_label, self.model_name)
            if self.allow_migrate_model(schema_editor.connection.alias, model):
                schema_editor.remove_index(model, self.index)

    def reduce(self, operation, app_label):
        return False  # never folded into the models' state by the optimizer


class Migration(migrations.Migration):
    dependencies = [("partners", "0008_curators_fda_permissions")]

    operations = [
        TrigramExtension(),
        # Search: the words of providers' names and descriptions, of sites' names and cities;
        # written as partners/directory/search.py `_full_text` writes them, or unused.
        AddPostgresIndex(
            "provider",
            GinIndex(
                SearchVector("name", "description", config="simple"),
                name="partners_provider_search_doc",
            ),
        ),
        AddPostgresIndex(
            "site",
            GinIndex(
                SearchVector("name", "city", config="simple"), name="partners_site_search_doc"
            ),
        ),
        # Search: a word the catalogue does not know, by trigram word similarity (`name %> w`).
        AddPostgresIndex(
            "provider",
            GinIndex(
                fields=["name"], opclasses=["gin_trgm_ops"], name="partners_provider_name_trgm"
            ),
        ),
        AddPostgresIndex(
            "site",
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="partners_site_name_trgm"),
        ),
        AddPostgresIndex(
            "site",
            GinIndex(fields=["city"], opclasses=["gin_trgm_ops"], name="partners_site_city_trgm"),
        ),
    ]
