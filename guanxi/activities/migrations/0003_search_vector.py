"""The PostgreSQL search index on guanxi_search_vector(search_tokens) (see guanxi.core.search)."""

from django.db import migrations

from guanxi.core.search import RebuildSearchIndex


class Migration(migrations.Migration):
    dependencies = [("activities", "0002_roles_outcomes_search")]

    operations = [RebuildSearchIndex("activity"), RebuildSearchIndex("calllist")]
