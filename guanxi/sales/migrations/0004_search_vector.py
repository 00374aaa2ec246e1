"""The PostgreSQL search index on guanxi_search_vector(search_tokens) (see guanxi.core.search)."""

from django.db import migrations

from guanxi.core.search import RebuildSearchIndex


class Migration(migrations.Migration):
    dependencies = [("sales", "0003_board_and_forecast_indexes")]

    operations = [RebuildSearchIndex("opportunity")]
