"""The subdistrict (街道) becomes a record: step 1, the table and a nullable link."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("residents", "0004_phone_and_activation_codes")]

    operations = [
        migrations.CreateModel(
            name="Subdistrict",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, unique=True, verbose_name="街道名称")),
                ("city", models.CharField(blank=True, max_length=50, verbose_name="城市")),
                ("phone", models.CharField(blank=True, max_length=30, verbose_name="联系电话")),
                ("address", models.CharField(blank=True, max_length=200, verbose_name="地址")),
            ],
            options={"verbose_name": "街道", "verbose_name_plural": "街道", "ordering": ["name"]},
        ),
        migrations.AddField(
            model_name="community",
            name="subdistrict_link",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="communities",
                to="residents.subdistrict",
                verbose_name="所属街道",
            ),
        ),
    ]
