"""Opaque global ids (`Node.id`): base64url of "Type:pk"; a malformed id is BAD_USER_INPUT."""

from __future__ import annotations

import base64
import binascii

from resolvers.errors import bad_input


def to_global_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def from_global_id(value: str, argument: str = "id") -> tuple[str, int]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        type_name, pk = raw.split(":", 1)
        number = int(pk)
        if not type_name.isalpha() or number < 1 or number > 2**63 or pk != str(number):
            raise ValueError
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad_input(argument, "not a valid id") from None
    return type_name, number


def pk_of(value: str, expected_type: str, argument: str = "id") -> int:
    type_name, pk = from_global_id(value, argument)
    if type_name != expected_type:
        raise bad_input(argument, f"not a {expected_type} id")
    return pk
