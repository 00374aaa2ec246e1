from django.db import migrations

from guanxi.core.search import CreateSearchIndex


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [CreateSearchIndex("account"), CreateSearchIndex("contact")]
