"""Masking personal data on pages that are not the owner's or staff's."""


def mask_phone(phone: str) -> str:
    """Show a phone number as 139****0001, for pages that are not the owner's or staff's."""
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_name(name: str) -> str:
    """Show a name as 王** (the family name and a star for each other character)."""
    if not name:
        return ""
    name = name.strip()
    if len(name) <= 1:
        return name
    return name[0] + "*" * min(len(name) - 1, 3)
