"""A cancelled sign-up has its cancellation time and only then; a resolved need has its
resolution time and only then (rows repaired by 0005)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0005_repair_status_timestamps"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="need",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "resolved"), ("resolved_at__isnull", False)),
                    models.Q(
                        models.Q(("status", "resolved"), _negated=True),
                        ("resolved_at__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="need_resolved_iff_resolved_at",
                violation_error_message="“已解决”的需求必须有解决时间，其他状态的需求不能有解决时间。",
            ),
        ),
        migrations.AddConstraint(
            model_name="signup",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "cancelled"), ("cancelled_at__isnull", False)),
                    models.Q(
                        models.Q(("status", "cancelled"), _negated=True),
                        ("cancelled_at__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="signup_cancelled_iff_cancelled_at",
                violation_error_message="已取消的报名必须有取消时间，未取消的报名不能有取消时间。",
            ),
        ),
    ]
