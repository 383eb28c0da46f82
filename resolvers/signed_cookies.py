"""Small signed cookies of the portal (E3, E4, C2): `value.signature`, tampering means absent."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schema.context import Context

ONE_YEAR = 365 * 24 * 3600
MAX_COOKIE_VALUE = 200


def _payload(name: str, value: str) -> bytes:
    # The cookie name is part of what is signed, so one cookie's value is worthless in another.
    return f"{name}\x00{value}".encode()


def read_signed(ctx: Context, name: str) -> str | None:
    """The value of cookie `name` when its signature holds, else None."""
    raw = ctx.request.cookies.get(name)
    if not raw or len(raw) > MAX_COOKIE_VALUE:
        return None
    value, dot, signature = raw.rpartition(".")
    if not dot or not ctx.keyring.verify_signature(_payload(name, value), signature):
        return None
    return value


def set_signed(ctx: Context, name: str, value: str, max_age: int) -> None:
    """Sets cookie `name` to the signed `value`: HttpOnly, SameSite=Lax, Secure outside dev."""
    signature = ctx.keyring.sign(_payload(name, value))
    ctx.response.set_cookie(
        name, f"{value}.{signature}", max_age=max_age, path="/",
        secure=not ctx.settings.dev, httponly=True, samesite="lax",
    )


def delete(ctx: Context, name: str) -> None:
    """Tells the browser to forget cookie `name` (same attributes as when it was set)."""
    ctx.response.delete_cookie(
        name, path="/", secure=not ctx.settings.dev, httponly=True, samesite="lax"
    )
