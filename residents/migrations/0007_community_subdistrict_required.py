"""The subdistrict becomes a record: step 3, the text field goes, the link takes its name
and is required."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("residents", "0006_subdistrict_records")]

    operations = [
        migrations.RemoveField(model_name="community", name="subdistrict"),
        migrations.RenameField(
            model_name="community", old_name="subdistrict_link", new_name="subdistrict"
        ),
        migrations.AlterField(
            model_name="community",
            name="subdistrict",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="communities",
                to="residents.subdistrict",
                verbose_name="所属街道",
            ),
        ),
    ]
