from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo and benchmark data: `load_demo` (the community of seed/FACTS.md) and
    `seed_bench` (large synthetic data). Owns no models."""

    name = "demo"
    verbose_name = _("演示数据")
