"""Chinese names in the order staff look them up: by their pinyin (安娜, 任建国, 唐丽, 吴秀兰,
张伟, 周敏), not by Unicode code point."""

from collections.abc import Callable, Iterable
from typing import TypeVar

from pypinyin import lazy_pinyin

T = TypeVar("T")


def pinyin_key(name: str) -> tuple[list[str], str]:
    """A sort key: the name's pinyin syllables, then the name itself (homophones stay put)."""
    name = name or ""
    return [syllable.lower() for syllable in lazy_pinyin(name)], name


def by_pinyin(items: Iterable[T], name: Callable[[T], str]) -> list[T]:
    """`items` sorted by the pinyin of `name(item)`."""
    return sorted(items, key=lambda item: pinyin_key(name(item)))
