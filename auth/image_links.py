"""Signed, short-lived image links (A8): the token names the study and the viewer."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from auth.crypto import Keyring

LIFETIME = timedelta(minutes=5)


@dataclass(frozen=True)
class ImageGrant:
    study_id: int
    viewer_kind: str  # PRACTITIONER, PATIENT, API_CLIENT
    viewer_id: int
    expires_at: datetime


def make_image_token(keyring: Keyring, grant: ImageGrant) -> str:
    payload = json.dumps(
        [grant.study_id, grant.viewer_kind, grant.viewer_id, int(grant.expires_at.timestamp())],
        separators=(",", ":"),
    ).encode()
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{keyring.sign(b'image:' + payload)}"


def read_image_token(keyring: Keyring, token: str, now: datetime) -> ImageGrant | None:
    """The grant of a genuine, unexpired token; None for anything else."""
    try:
        body, signature = token.split(".", 1)
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        if not keyring.verify_signature(b"image:" + payload, signature):
            return None
        study_id, kind, viewer_id, expires = json.loads(payload)
        grant = ImageGrant(int(study_id), str(kind), int(viewer_id),
                           datetime.fromtimestamp(int(expires), timezone.utc))
    except (ValueError, TypeError):
        return None
    return grant if now < grant.expires_at else None
