"""The values of a data file (HTTP.md, "Data file"): strict parsers, messages a person can act on.

Each type below is a pydantic annotation; a bad value raises ValueError saying what was
expected (and, except for secrets, what was given).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainValidator, StringConstraints

from auth.crypto import normalize_access_code
from models.api_clients import SCOPES
from resolvers.dicom import person_name, validate_modality, validate_uid

# Active ISO 4217 currencies (funds, metals and test codes left out: a fee is paid in money).
ISO_4217 = frozenset(
    """AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
    GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
    KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
    MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
    SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
    UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG""".split()
)

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(?P<offset>Z|[+-]\d{2}:\d{2})?"
)
_AMOUNT = re.compile(r"\d{1,8}(\.\d{1,2})?")  # DecimalField(max_digits=10, decimal_places=2)
_BASE32 = re.compile(r"[A-Z2-7]{16,128}")
_URL = re.compile(r"https?://[^\s/]+(/\S*)?")
_TOKEN = re.compile(r"\S{16,200}")
_ACCESS_CODE = re.compile(r"[A-Z0-9]{12,64}")  # 12 of 36 symbols: just over 60 bits (L4)


def show(value: Any) -> str:
    """A value as it appeared in the JSON file, shortened for an error message."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _matching(pattern: str, what: str, expected: str) -> PlainValidator:
    """A validator of strings that match `pattern` in full, with a message naming `what`."""
    regex = re.compile(pattern)

    def check(value: Any) -> str:
        if isinstance(value, str) and regex.fullmatch(value):
            return value
        raise ValueError(f"invalid {what} {show(value)}: expected {expected}")

    return PlainValidator(check)


def _date(value: Any) -> date:
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"invalid date {show(value)}: expected YYYY-MM-DD")


def _timestamp(value: Any) -> datetime:
    match = _DATETIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f'invalid time {show(value)}: expected "YYYY-MM-DDTHH:MM:SS+00:00"')
    if match["offset"] is None:
        # A local time means a different instant on every server: refuse it (HTTP.md).
        raise ValueError(f"time {show(value)} has no UTC offset: add one, such as +00:00 or Z")
    try:
        parsed = datetime.fromisoformat(value)  # Python 3.11+ reads "Z"
    except ValueError:
        raise ValueError(f"invalid time {show(value)}") from None
    return parsed.astimezone(UTC)


def _amount(value: Any) -> Decimal:
    if isinstance(value, str) and _AMOUNT.fullmatch(value):
        return Decimal(value)
    raise ValueError(f'invalid amount {show(value)}: expected a decimal string such as "12.50"')


def _currency(value: Any) -> str:
    if isinstance(value, str) and value in ISO_4217:
        return value
    raise ValueError(f"invalid currency {show(value)}: expected an ISO 4217 code such as EUR")


def _url(value: Any) -> str:
    if isinstance(value, str) and len(value) <= 300 and _URL.fullmatch(value):
        return value.rstrip("/")
    raise ValueError(f"invalid URL {show(value)}: expected http(s)://host[/path]")


def _totp_secret(value: Any) -> str:
    # Secrets are never echoed in messages: the file holds them in clear.
    secret = value.replace(" ", "").upper().rstrip("=") if isinstance(value, str) else ""
    if _BASE32.fullmatch(secret):
        try:
            base64.b32decode(secret + "=" * (-len(secret) % 8))
            return secret
        except binascii.Error:
            pass
    raise ValueError("invalid TOTP secret: expected base32 (A-Z, 2-7), at least 16 characters")


def _access_code(value: Any) -> str:
    code = normalize_access_code(value) if isinstance(value, str) else ""
    if _ACCESS_CODE.fullmatch(code):
        return code
    raise ValueError(
        "invalid access code: expected at least 12 letters or digits "
        "(dashes and spaces are ignored)"
    )


def _api_token(value: Any) -> str:
    if isinstance(value, str) and _TOKEN.fullmatch(value):
        return value
    raise ValueError("invalid token: expected 16 to 200 characters without spaces")


def _scope(value: Any) -> str:
    if isinstance(value, str) and value in SCOPES:
        return value
    raise ValueError(f"unknown scope {show(value)}: expected one of {', '.join(SCOPES)}")


def _person_name(value: Any) -> str:
    display = person_name(value)
    if len(display) > 200:
        raise ValueError("a person name must be at most 200 characters")
    return display


def _null_is_empty(value: Any) -> Any:
    # `"copyTo": null` reads as "none", like the nullable scalars of the HTTP.md example.
    return [] if value is None else value


def _text(max_length: int) -> Any:
    return StringConstraints(strict=True, min_length=1, max_length=max_length)


Date = Annotated[date, PlainValidator(_date)]
Timestamp = Annotated[datetime, PlainValidator(_timestamp)]
Amount = Annotated[Decimal, PlainValidator(_amount)]
Currency = Annotated[str, PlainValidator(_currency)]
Phone = Annotated[
    str, _matching(r"\+[1-9][0-9]{7,14}", "phone number", "E.164, such as +32470123456")
]
Email = Annotated[str, _matching(r"(?=.{3,254}$)[^@\s]+@[^@\s]+\.[^@\s]+", "e-mail address",
                                 "name@domain")]
Url = Annotated[str, PlainValidator(_url)]
TotpSecret = Annotated[str, PlainValidator(_totp_secret)]
AccessCode = Annotated[str, PlainValidator(_access_code)]
ApiToken = Annotated[str, PlainValidator(_api_token)]
Scope = Annotated[str, PlainValidator(_scope)]
Uid = Annotated[str, PlainValidator(validate_uid)]
Modality = Annotated[str, PlainValidator(validate_modality)]
PersonName = Annotated[str, PlainValidator(_person_name)]
EnvironmentCode = Annotated[str, _matching(r"[A-Z0-9]{2,10}", "environment code",
                                           "2 to 10 upper-case letters or digits, such as BE")]
InstitutionCode = Annotated[str, _matching(r"[A-Za-z0-9_.-]{1,50}", "institution code",
                                           'up to 50 letters, digits, ".", "_" or "-"')]
Country = Annotated[str, _matching(r"[A-Z]{2}", "country", "an ISO 3166-1 alpha-2 code such as BE")]
Username = Annotated[str, _matching(r"\S{1,254}", "username", "1 to 254 characters without spaces")]
# Lengths are those of the model columns.
Password = Annotated[str, _text(1024)]
Text50 = Annotated[str, _text(50)]
Text64 = Annotated[str, _text(64)]
Text100 = Annotated[str, _text(100)]
Text200 = Annotated[str, _text(200)]
Text300 = Annotated[str, _text(300)]
ReportText = Annotated[str, _text(100_000)]
Count = Annotated[int, Field(strict=True, ge=0, le=1_000_000)]
Flag = Annotated[bool, Field(strict=True)]
# Lists: `null` reads as empty (see _null_is_empty).
NullIsEmpty = BeforeValidator(_null_is_empty)
