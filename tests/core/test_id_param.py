import pytest

from core.http import id_param


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12),
        ("", None),
        (None, None),
        ("²", None),
        ("１２", None),
        ("-1", None),
        ("9" * 19, None),
    ],
)
def test_id_param_reads_only_plain_short_ascii_digits(value, expected):
    assert id_param(value) == expected
