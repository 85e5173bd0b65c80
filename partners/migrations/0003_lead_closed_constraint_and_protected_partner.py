"""A lead is closed (signed or dropped) iff it has its closing time (rows repaired by 0002);
a partner with agreements, or that a lead became, cannot be deleted (PROTECT: no change in
SQL)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0002_repair_lead_closed_at"),
    ]

    operations = [
        migrations.AlterField(
            model_name="agreement",
            name="partner",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="agreements",
                to="partners.partner",
                verbose_name="共建单位",
            ),
        ),
        migrations.AlterField(
            model_name="lead",
            name="partner",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="leads",
                to="partners.partner",
                verbose_name="签约单位",
            ),
        ),
        migrations.AddConstraint(
            model_name="lead",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("stage__in", ("signed", "dropped")), ("closed_at__isnull", False)),
                    models.Q(
                        models.Q(("stage__in", ("signed", "dropped")), _negated=True),
                        ("closed_at__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="lead_closed_iff_closed_at",
                violation_error_message="已签约或已放弃的线索必须有结束时间，仍在跟进的线索不能有结束时间。",
            ),
        ),
    ]
