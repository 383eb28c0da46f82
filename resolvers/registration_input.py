"""Checking a registration form (L9, S3): every bad value is BAD_USER_INPUT naming its field."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from auth.password_policy import password_problem
from models.users import Profession
from resolvers.errors import bad_input

MAX_USERNAME = 254  # the longest e-mail address SMTP allows
MAX_DISPLAY_NAME = 200
PRACTITIONER_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ./-]{0,49}")


@dataclass(frozen=True)
class RegistrationForm:
    """What `register` was given, as the client sent it."""

    username: str
    password: str
    display_name: str
    profession: Profession
    practitioner_number: str | None = None
    phone_number: str | None = None


@dataclass(frozen=True)
class CheckedRegistration:
    """A form that passed every check, normalized for storage."""

    username: str
    username_key: str
    password: str
    display_name: str
    profession: Profession
    practitioner_number: str | None
    phone_number: str | None


def check_password(password: str, username: str, argument: str) -> None:
    """BAD_USER_INPUT naming `argument` when the policy refuses `password` (L9, L10)."""
    problem = password_problem(password, username)
    if problem is not None:
        raise bad_input(argument, problem)


def check_username(value: str) -> str:
    """The normalized e-mail address (domain lower-cased, unicode NFC), or BAD_USER_INPUT."""
    value = value.strip()
    if not value or len(value) > MAX_USERNAME:
        raise bad_input(
            "input.username", f"must be an e-mail address of at most {MAX_USERNAME} characters"
        )
    try:
        address = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise bad_input("input.username", f"is not a valid e-mail address: {exc}") from None
    return address.normalized


def check_display_name(value: str) -> str:
    value = value.strip()
    if not 1 <= len(value) <= MAX_DISPLAY_NAME:
        raise bad_input("input.displayName", f"must be 1 to {MAX_DISPLAY_NAME} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        raise bad_input("input.displayName", "must not contain control characters")
    return value


def check_phone_number(value: str | None, region: str) -> str | None:
    """E.164 (+32470123456); a national number is read in the environment's country."""
    if value is None or not value.strip():
        return None
    if len(value) > 40:
        raise bad_input("input.phoneNumber", "is not a valid phone number")
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise bad_input("input.phoneNumber", "is not a valid phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise bad_input("input.phoneNumber", "is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_practitioner_number(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not PRACTITIONER_NUMBER.fullmatch(value):
        raise bad_input(
            "input.practitionerNumber",
            "must be 1 to 50 letters, digits, spaces, dots, dashes or slashes",
        )
    return value


def check_registration(form: RegistrationForm, region: str) -> CheckedRegistration:
    """Check every field, in the order of the form; raises BAD_USER_INPUT on the first bad one."""
    username = check_username(form.username)
    check_password(form.password, username, "input.password")
    return CheckedRegistration(
        username=username,
        username_key=username.strip().casefold(),
        password=form.password,
        display_name=check_display_name(form.display_name),
        profession=form.profession,
        practitioner_number=check_practitioner_number(form.practitioner_number),
        phone_number=check_phone_number(form.phone_number, region),
    )
