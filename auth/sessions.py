"""Browser sessions (L8): random tokens, stored as keyed hashes, idle and absolute lifetimes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from auth.crypto import Keyring, new_token
from models.patients import PatientAccess
from models.sessions import Session
from models.users import User

# Writing last_seen_at on every request would turn reads into writes; a minute is precise enough.
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    absolute: timedelta


async def start_session(
    keyring: Keyring,
    policy: SessionPolicy,
    environment_id: int,
    now: datetime,
    user: User | None = None,
    patient_access: PatientAccess | None = None,
) -> tuple[str, Session]:
    """Create a session; returns the clear token (for the cookie only) and the row."""
    token = new_token(nbytes=32)
    session = await Session.create(
        environment_id=environment_id,
        token_hash=keyring.token_hash(token),
        user=user,
        patient_access=patient_access,
        created_at=now,
        last_seen_at=now,
        expires_at=now + policy.absolute,
    )
    return token, session


def session_end(session: Session, policy: SessionPolicy) -> datetime:
    """When the session ends if no further request comes: idle or absolute, whichever is first."""
    return min(session.last_seen_at + policy.idle, session.expires_at)


async def find_session(
    keyring: Keyring, policy: SessionPolicy, environment_id: int, token: str, now: datetime
) -> Session | None:
    """The live session for `token`, with its user or patient access loaded; touches it."""
    if not token or len(token) > 200:
        return None
    session = (
        await Session.filter(token_hash=keyring.token_hash(token), environment_id=environment_id)
        .select_related("user", "patient_access")
        .first()
    )
    if session is None or session.ended_at is not None or now >= session_end(session, policy):
        return None
    if now - session.last_seen_at >= TOUCH_INTERVAL:
        session.last_seen_at = now
        await Session.filter(id=session.id).update(last_seen_at=now)
    return session


async def end_session(session: Session, now: datetime) -> None:
    await Session.filter(id=session.id, ended_at=None).update(ended_at=now)


async def end_user_sessions(user_id: int, now: datetime, except_id: int | None = None) -> None:
    """Ends every session of the account at once (logout everywhere, disabling, password reset)."""
    query = Session.filter(user_id=user_id, ended_at=None)
    if except_id is not None:
        query = query.exclude(id=except_id)
    await query.update(ended_at=now)
