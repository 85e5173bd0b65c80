"""No mobile number in any log: a filter for every handler (settings.LOGGING) and for
gunicorn's access and error logs (config/gunicorn.conf.py).

Staff search the back office by phone number (`?q=13912345678` in the access log), failed
logins name the number tried, e-mails and errors quote residents' data: every record's text
is rewritten with each mainland mobile number shown as 139****5678.
"""

import logging
import re

PHONE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def mask_phones(text: str) -> str:
    return PHONE.sub(r"\1****\3", text)


class MaskPhoneNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logged as it is
            return True
        masked = mask_phones(message)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_phones(record.exc_text)
        return True
