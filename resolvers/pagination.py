"""Opaque keyset cursors, signed so that a tampered cursor is refused, not followed."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from typing import Any

from auth.crypto import Keyring
from resolvers.errors import bad_input

MAX_PAGE = 500


def check_first(first: int, maximum: int = MAX_PAGE) -> int:
    if first < 1 or first > maximum:
        raise bad_input("first", f"must be between 1 and {maximum}")
    return first


def encode_cursor(keyring: Keyring, kind: str, key: Any, row_id: int) -> str:
    if isinstance(key, (datetime, date)):
        key = key.isoformat()
    payload = json.dumps([kind, key, row_id], separators=(",", ":")).encode()
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{keyring.sign(payload)}"


def decode_cursor(keyring: Keyring, kind: str, cursor: str, argument: str = "after") -> tuple[Any, int]:
    """The (key, id) of a cursor made by `encode_cursor` for the same `kind` of list."""
    try:
        body, signature = cursor.split(".", 1)
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        valid = keyring.verify_signature(payload, signature)
        cursor_kind, key, row_id = json.loads(payload) if valid else (None, None, None)
    except (ValueError, TypeError):
        valid = False
    if not valid or cursor_kind != kind or not isinstance(row_id, int):
        raise bad_input(argument, "not a cursor of this list")
    return key, row_id
