"""Certificates are numbered per year (2026-0001): every certificate gets its year and its
number in it, in the order they were issued; those issued before carry their printed serial
(ZYFW<year><id>) in `former_serial`, which staff can still search and residents' old links
still reach (the verification QR uses the token, which does not change)."""

from django.db import migrations, models


def number_per_year(apps, schema_editor):
    Certificate = apps.get_model("volunteering", "Certificate")
    counters: dict[int, int] = {}
    for certificate in Certificate.objects.order_by("issued_on", "pk"):
        year = certificate.issued_on.year
        counters[year] = counters.get(year, 0) + 1
        if not certificate.former_serial:
            certificate.former_serial = certificate.serial
        certificate.year, certificate.number = year, counters[year]
        certificate.serial = f"{year}-{counters[year]:04d}"
        certificate.save(update_fields=["year", "number", "serial", "former_serial"])


def former_serials_back(apps, schema_editor):
    Certificate = apps.get_model("volunteering", "Certificate")
    for certificate in Certificate.objects.exclude(former_serial=""):
        certificate.serial = certificate.former_serial
        certificate.save(update_fields=["serial"])


class Migration(migrations.Migration):
    dependencies = [
        ("volunteering", "0002_grant_roles"),
    ]

    operations = [
        migrations.AddField(
            model_name="certificate",
            name="year",
            field=models.PositiveSmallIntegerField(null=True, verbose_name="出具年度"),
        ),
        migrations.AddField(
            model_name="certificate",
            name="number",
            field=models.PositiveIntegerField(null=True, verbose_name="年度序号"),
        ),
        migrations.AddField(
            model_name="certificate",
            name="former_serial",
            field=models.CharField(
                blank=True,
                help_text="按年编号之前出具的证明上印的编号，仍可查找。",
                max_length=30,
                verbose_name="原编号",
            ),
        ),
        migrations.RunPython(number_per_year, former_serials_back, elidable=False),
        migrations.AlterField(
            model_name="certificate",
            name="year",
            field=models.PositiveSmallIntegerField(verbose_name="出具年度"),
        ),
        migrations.AlterField(
            model_name="certificate",
            name="number",
            field=models.PositiveIntegerField(verbose_name="年度序号"),
        ),
        migrations.AddConstraint(
            model_name="certificate",
            constraint=models.UniqueConstraint(
                fields=("year", "number"),
                name="certificate_number_unique_per_year",
                violation_error_message="该年度已有相同序号的证明。",
            ),
        ),
        migrations.AddConstraint(
            model_name="certificate",
            constraint=models.CheckConstraint(
                condition=models.Q(("number__gte", 1)), name="certificate_number_positive"
            ),
        ),
    ]
