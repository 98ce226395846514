"""The directory search's PostgreSQL side: pg_trgm, and the indexes its queries use.

partners/directory/search.py matches provider names, site names and cities by trigram word
similarity (`name %> 'sevrn'`), which a GIN trigram index answers, and provider descriptions by
full-text search over `to_tsvector('english', description)`, which an expression GIN index
answers. SQLite has neither (its search is a substring match), so these indexes exist on
PostgreSQL only and the models do not declare them.
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
        # Search: providers by name (`name %> word`), and ranked by word similarity.
        AddPostgresIndex(
            "provider",
            GinIndex(
                fields=["name"], opclasses=["gin_trgm_ops"], name="partners_provider_name_trgm"
            ),
        ),
        # Search: providers by a word or phrase of their description (full text, prefixes).
        AddPostgresIndex(
            "provider",
            GinIndex(
                SearchVector("description", config="english"), name="partners_provider_desc_fts"
            ),
        ),
        # Search: sites by name and by city (`name %> word`, `city %> word`).
        AddPostgresIndex(
            "site",
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="partners_site_name_trgm"),
        ),
        AddPostgresIndex(
            "site",
            GinIndex(fields=["city"], opclasses=["gin_trgm_ops"], name="partners_site_city_trgm"),
        ),
    ]
