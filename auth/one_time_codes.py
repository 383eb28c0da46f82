"""One-time codes of the second factor (L5, L12): e-mailed or texted codes, TOTP, masked hints.

Texted and e-mailed codes are stored only as keyed hashes (S5); TOTP secrets only encrypted.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime

import phonenumbers
import pyotp

from auth.crypto import Keyring

CODE_DIGITS = 6
TOTP_ISSUER = "StudyGate"
# 32 base32 characters are 160 bits (L12).
TOTP_SECRET_LENGTH = 32
_SIX_DIGITS = re.compile(r"[0-9]{6}")  # ASCII only: "١٢٣٤٥٦" is no code


def clean_code(code: str) -> str | None:
    """The code without spaces, or None when it is not six digits (so it can never match)."""
    stripped = "".join(code.split())
    return stripped if _SIX_DIGITS.fullmatch(stripped) else None


def new_numeric_code() -> str:
    """A random six-digit code from the system's CSPRNG."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(keyring: Keyring, challenge_public_id: str, code: str) -> str:
    """Keyed hash of a sent code, bound to its challenge: the same digits elsewhere differ."""
    return keyring.token_hash(f"otp:{challenge_public_id}:{code}")


def same_hash(stored: str | None, candidate: str) -> bool:
    return stored is not None and hmac.compare_digest(stored, candidate)


def new_totp_secret() -> str:
    return pyotp.random_base32(length=TOTP_SECRET_LENGTH)


def provisioning_uri(secret: str, account_name: str) -> str:
    """otpauth://totp/StudyGate:<account>?secret=...&issuer=StudyGate"""
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=TOTP_ISSUER)


def matching_totp_step(secret: str, code: str, now: datetime, after_step: int | None) -> int | None:
    """The time step whose code this is, within one 30-second step either side (valid_window=1).

    Steps up to `after_step` were accepted before and are refused: each code is accepted once.
    """
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if after_step is not None and step <= after_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def mask_phone(number: str | None) -> str | None:
    """"+32 4** ** ** 12": the country code, the first national digit and the last two."""
    if not number:
        return None
    try:
        parsed = phonenumbers.parse(number, None)
        country, national = str(parsed.country_code), str(parsed.national_number)
    except phonenumbers.NumberParseException:
        digits = "".join(ch for ch in number if ch.isdigit())
        country, national = digits[:2], digits[2:]
    if not country:
        return None
    if len(national) < 4:
        return f"+{country} " + "*" * len(national)
    middle = "*" * (len(national) - 3)
    head = national[0] + middle[:2]
    pairs = [middle[i : i + 2] for i in range(2, len(middle), 2)]
    return " ".join([f"+{country}", head, *pairs, national[-2:]])


def mask_email(address: str | None) -> str | None:
    """"j***@example.org": the first character of the local part and the domain."""
    if not address or "@" not in address:
        return None
    local, domain = address.rsplit("@", 1)
    return f"{local[:1]}***@{domain}"
