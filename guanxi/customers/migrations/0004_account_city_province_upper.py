"""Case-insensitive city and province filters get an index (UPPER(city), UPPER(province))."""

from django.db import migrations, models
from django.db.models.functions import Upper


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_customer_pool")]

    operations = [
        migrations.AddIndex(
            model_name="account",
            index=models.Index(Upper("city"), name="account_city_upper"),
        ),
        migrations.AddIndex(
            model_name="account",
            index=models.Index(Upper("province"), name="account_province_upper"),
        ),
    ]
