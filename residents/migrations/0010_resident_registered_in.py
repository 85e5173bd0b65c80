import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("residents", "0009_subdistrict_roles"),
    ]

    operations = [
        migrations.AddField(
            model_name="resident",
            name="registered_in",
            field=models.ForeignKey(
                blank=True,
                help_text="没有登记住址的居民属于登记他的社区。",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="registered_residents",
                to="residents.community",
                verbose_name="登记社区",
            ),
        ),
    ]
