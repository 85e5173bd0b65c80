"""Counters in the shared cache (Redis in production: every gunicorn worker and server
counts together; `core.checks` refuses a per-process cache under `check --deploy`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Throttle:
    """At most `limit` events per `window` seconds for each key (an IP, a phone number)."""

    name: str
    limit: int
    window: int

    def _key(self, key: str) -> str:
        return f"throttle:{self.name}:{key}"

    def count(self, key: str) -> int:
        return cache.get(self._key(key)) or 0

    def blocked(self, key: str) -> bool:
        return self.count(key) >= self.limit

    def hit(self, key: str) -> int:
        """Count one event; return the count so far in the window."""
        cache_key = self._key(key)
        cache.add(cache_key, 0, timeout=self.window)
        try:
            return cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, timeout=self.window)
            return 1
