"""Back-office forms for activities: the activity form's messages, the check-in desk and a
need's triage."""

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.utils.translation import gettext as _, gettext_lazy

from residents.models import Building
from residents.validators import phone_validator

from . import series, services
from .models import Activity, Need, ServiceProject


class ActivityAdminForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = (
            "title",
            "category",
            "partners",
            "commitment",
            "complex",
            "place",
            "summary",
            "description",
            "starts_at",
            "ends_at",
            "signup_opens_at",
            "signup_closes_at",
            "capacity",
            "min_age",
            "max_age",
            "party_members_only",
            "residents_only",
            "audience",
            "status",
            "is_public",
        )

    series_scope = forms.ChoiceField(
        label=gettext_lazy("修改范围"),
        choices=series.Scope.choices,
        initial=series.Scope.ONE,
        required=False,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "选择“此次及以后各次”时，时间（按相同的天数平移）、地点和名额的修改也用于本系列以后的活动。"
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "capacity" in self.fields:
            # The same words as the model's constraint, instead of Django's generic ones.
            self.fields["capacity"].error_messages["min_value"] = _("名额不能为负数。")


class SeriesRuleForm(forms.Form):
    """How a series repeats (the first occurrence's fields are added by the admin)."""

    frequency = forms.ChoiceField(label=gettext_lazy("重复方式"), choices=series.Frequency.choices)
    interval = forms.IntegerField(
        label=gettext_lazy("间隔"),
        min_value=1,
        max_value=12,
        initial=1,
        help_text=gettext_lazy("1 表示每周（或每月），2 表示隔一周，以此类推。"),
    )
    until = forms.DateField(
        label=gettext_lazy("结束日期"),
        required=False,
        widget=AdminDateWidget,
        help_text=gettext_lazy("最后一次活动不晚于这一天。与“重复次数”二选一。"),
    )
    count = forms.IntegerField(
        label=gettext_lazy("重复次数"),
        required=False,
        min_value=1,
        max_value=series.MAX_OCCURRENCES,
    )

    def rule(self) -> series.Rule:
        data = self.cleaned_data
        return series.Rule(
            frequency=data["frequency"],
            interval=data["interval"],
            until=data.get("until"),
            count=data.get("count"),
        )


class CheckInForm(forms.Form):
    """The code a resident shows at the door: typed, or their check-in link as the desk's
    camera (or a QR scanner) reads it."""

    code = forms.CharField(
        label=gettext_lazy("签到码"),
        max_length=500,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "off",
                "inputmode": "numeric",
                "class": "vTextField check-in-code",
            }
        ),
    )

    def clean_code(self):
        typed = self.cleaned_data["code"].strip()
        if not services.read_scanned(typed).code:
            raise forms.ValidationError(
                _("“%(typed)s”不是六位数字签到码，请核对后重新输入。"),
                code="bad_code",
                params={"typed": typed[:60]},
            )
        return typed


class WalkInForm(forms.Form):
    """A resident who came to the door without a seat, registered on the spot."""

    name = forms.CharField(label=gettext_lazy("姓名"), max_length=64)
    phone = forms.CharField(
        label=gettext_lazy("手机号码"),
        max_length=11,
        required=False,
        help_text=gettext_lazy("可不填；填了已登记的号码，就用已登记的居民。"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    building = forms.ModelChoiceField(
        label=gettext_lazy("楼栋"), queryset=Building.objects.none(), required=False
    )
    unit = forms.CharField(label=gettext_lazy("单元"), max_length=10, required=False)
    room = forms.CharField(label=gettext_lazy("门牌号"), max_length=20, required=False)

    def __init__(self, *args, activity: Activity, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = Building.objects.filter(
            complex_id=activity.complex_id
        ).select_related("complex")

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone:
            phone_validator(phone)
        return phone

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("building") and not (cleaned.get("room") or "").strip():
            self.add_error("room", _("请填写门牌号。"))
        return cleaned


class NeedAdminForm(forms.ModelForm):
    """A need as staff triage it: the refusals of `services.triage_need` (a project missing,
    a need sent back to "待处理") are shown on the form before anything is saved."""

    class Meta:
        model = Need
        fields = (
            "title",
            "description",
            "location",
            "category",
            "urgency",
            "resident",
            "complex",
            "status",
            "project",
            "staff_reply",
        )

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status")
        if status and "project" not in self.errors:
            # self.instance still holds the need as stored: the form's values are put on it
            # only after clean().
            refusal = services.need_triage_refusal(
                need=self.instance,
                status=status,
                project=cleaned.get("project"),
                staff_reply=cleaned.get("staff_reply", ""),
            )
            if refusal is not None:
                field = {"project_required": "project", "reason_required": "staff_reply"}
                self.add_error(field.get(refusal.code, "status"), refusal)
        return cleaned


class DeclineNeedsForm(forms.Form):
    """The reason residents will read on /me/ when their need is declined."""

    staff_reply = forms.CharField(
        label=gettext_lazy("暂不受理的原因"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("提出需求的居民会在“我的”页面看到这段答复。"),
    )


class AcceptNeedsForm(forms.Form):
    """Accept needs with the project that answers them: an existing one or a new one."""

    project = forms.ModelChoiceField(
        label=gettext_lazy("纳入已有项目"),
        queryset=ServiceProject.objects.exclude(status=ServiceProject.Status.DONE).order_by(
            "title"
        ),
        required=False,
    )
    new_project_title = forms.CharField(
        label=gettext_lazy("或新建项目"), max_length=200, required=False
    )
    staff_reply = forms.CharField(
        label=gettext_lazy("答复居民（可不填）"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("project") and (cleaned.get("new_project_title") or "").strip():
            raise forms.ValidationError(_("请选择已有项目或填写新项目名称，二者选一。"))
        return cleaned


class ServiceProjectAdminForm(forms.ModelForm):
    """Marking a project done goes through `services.complete_project`: refused while
    milestones are open unless a reason to override is given."""

    class Meta:
        model = ServiceProject
        fields = (
            "title",
            "category",
            "partner",
            "complex",
            "buildings",
            "description",
            "status",
            "progress",
            "starts_on",
            "due_on",
            "finished_on",
            "completion_note",
        )

    def clean(self):
        cleaned = super().clean()
        becomes_done = cleaned.get("status") == ServiceProject.Status.DONE and (
            self.instance.pk is None or self.instance.status != ServiceProject.Status.DONE
        )
        if becomes_done and self.instance.pk is not None:
            stored = ServiceProject.objects.get(pk=self.instance.pk)
            refusal = services.project_completion_refusal(
                project=stored, override_reason=cleaned.get("completion_note", "")
            )
            if refusal is not None:
                self.add_error("completion_note", refusal)
        if becomes_done and "progress" in cleaned:
            cleaned["progress"] = 100
            self.instance.progress = 100
        return cleaned
