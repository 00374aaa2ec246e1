"""The PostgreSQL search index on guanxi_search_vector(search_tokens) (see guanxi.core.search)."""

from django.db import migrations

from guanxi.core.search import RebuildSearchIndex


class Migration(migrations.Migration):
    dependencies = [("marketing", "0002_campaign_search")]

    operations = [RebuildSearchIndex("campaign")]
