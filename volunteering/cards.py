"""The resident's points card (积分卡): a short code staff type or scan at the shop's desk,
`<resident id>-<4 check digits>`. The check digits are an HMAC of the id, so a typed code
cannot reach another resident by changing a digit."""

from __future__ import annotations

from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "volunteering.points-card"


def _check(pk: int) -> str:
    digest = salted_hmac(SALT, str(pk)).hexdigest()
    return f"{int(digest[:8], 16) % 10000:04d}"


def card_code(resident_id: int) -> str:
    return f"{resident_id}-{_check(resident_id)}"


def resident_id_from_code(code: str) -> int | None:
    """The resident id a card code stands for, or None when it is not a valid code."""
    code = (code or "").strip().replace(" ", "")
    head, _, check = code.partition("-")
    if not head.isdigit() or len(check) != 4 or len(head) > 12:
        return None
    pk = int(head)
    return pk if constant_time_compare(check, _check(pk)) else None
