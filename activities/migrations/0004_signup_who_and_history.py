"""Who cancelled a sign-up and who checked the resident in; sign-ups keep a history; an
activity or a household with sign-ups cannot be deleted (PROTECT: no change in SQL)."""

import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0003_signup_household"),
        ("residents", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="HistoricalSignUp",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("confirmed", "已报名"),
                            ("waitlisted", "候补中"),
                            ("cancelled", "已取消"),
                        ],
                        max_length=20,
                        verbose_name="状态",
                    ),
                ),
                ("check_in_code", models.CharField(max_length=6, verbose_name="签到码")),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="报名时间"
                    ),
                ),
                (
                    "confirmed_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="确认时间"),
                ),
                (
                    "promoted_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="候补转正时间"),
                ),
                (
                    "cancelled_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="取消时间"),
                ),
                ("attended", models.BooleanField(default=False, verbose_name="已签到")),
                (
                    "checked_in_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="签到时间"),
                ),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
            ],
            options={
                "verbose_name": "historical 报名",
                "verbose_name_plural": "historical 报名",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.AddField(
            model_name="signup",
            name="cancelled_by",
            field=models.ForeignKey(
                blank=True,
                help_text="取消报名的居民本人、监护人或工作人员。",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="取消操作人",
            ),
        ),
        migrations.AddField(
            model_name="signup",
            name="checked_in_by",
            field=models.ForeignKey(
                blank=True,
                help_text="为居民签到的工作人员。",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="签到操作人",
            ),
        ),
        migrations.AlterField(
            model_name="signup",
            name="activity",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="signups",
                to="activities.activity",
                verbose_name="活动",
            ),
        ),
        migrations.AlterField(
            model_name="signup",
            name="household",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="residents.household",
                verbose_name="住户",
            ),
        ),
        migrations.AddField(
            model_name="historicalsignup",
            name="activity",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="activities.activity",
                verbose_name="活动",
            ),
        ),
        migrations.AddField(
            model_name="historicalsignup",
            name="cancelled_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text="取消报名的居民本人、监护人或工作人员。",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="取消操作人",
            ),
        ),
        migrations.AddField(
            model_name="historicalsignup",
            name="checked_in_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text="为居民签到的工作人员。",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="签到操作人",
            ),
        ),
        migrations.AddField(
            model_name="historicalsignup",
            name="history_user",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="historicalsignup",
            name="household",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="residents.household",
                verbose_name="住户",
            ),
        ),
        migrations.AddField(
            model_name="historicalsignup",
            name="resident",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="residents.resident",
                verbose_name="居民",
            ),
        ),
        migrations.AddField(
            model_name="historicalsignup",
            name="signed_up_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text="为他人报名的工作人员或监护人；本人报名时为本人账号。",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="代报名人",
            ),
        ),
    ]
