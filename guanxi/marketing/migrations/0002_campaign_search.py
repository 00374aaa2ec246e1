from django.db import migrations, models

from guanxi.core.search import CreateSearchIndex


class Migration(migrations.Migration):
    dependencies = [("marketing", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="search_tokens",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        CreateSearchIndex("campaign"),
    ]
