"""Secrets at rest (S5): argon2id passwords, keyed hashes of tokens and codes, encrypted TOTP secrets."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken

_hasher = PasswordHasher()  # argon2id with the library's current parameters
# Checked for unknown usernames so that both answers cost the same (L1).
_DUMMY_HASH = _hasher.hash("studygate-dummy-password-never-valid")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; with no hash, checks a dummy one and returns False."""
    try:
        ok = _hasher.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and password_hash is not None


# argon2 runs off the event loop, in threads of the lowest CPU priority (nice 19): while
# requests wait, the scheduler gives the event loop the CPU, and password checks take the idle
# time (issue 9: a list's p99 while logins run). argon2-cffi releases the GIL while it hashes.
# Few threads: each check holds 64 MiB.
LOW_PRIORITY = 19
_T = TypeVar("_T")
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _lower_priority() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOW_PRIORITY)
    except (AttributeError, OSError):  # not Linux: an ordinary thread still frees the loop
        pass


def _password_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1),
                                       thread_name_prefix="argon2", initializer=_lower_priority)
        return _pool


async def _off_loop(fn: Callable[..., _T], *args: object) -> _T:
    return await asyncio.get_running_loop().run_in_executor(_password_pool(), fn, *args)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    """argon2 off the event loop, at low priority, so that the loop keeps serving (L1)."""
    return await _off_loop(verify_password, password_hash, password)


async def hash_password_async(password: str) -> str:
    return await _off_loop(hash_password, password)


class Keyring:
    """Everything derived from STUDYGATE_SECRET_KEY."""

    def __init__(self, secret_key: str) -> None:
        master = secret_key.encode()
        self._hash_key = hmac.new(master, b"studygate:hash", hashlib.sha256).digest()
        self._sign_key = hmac.new(master, b"studygate:sign", hashlib.sha256).digest()
        enc_key = hmac.new(master, b"studygate:encrypt", hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(enc_key))

    def token_hash(self, value: str) -> str:
        """Keyed hash for high-entropy secrets (session and API tokens, access codes)."""
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()

    def sign(self, payload: bytes) -> str:
        return base64.urlsafe_b64encode(
            hmac.new(self._sign_key, payload, hashlib.sha256).digest()[:16]
        ).decode().rstrip("=")

    def verify_signature(self, payload: bytes, signature: str) -> bool:
        return hmac.compare_digest(self.sign(payload), signature)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str | None:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            return None


def new_token(prefix: str = "", nbytes: int = 32) -> str:
    """A random token: 32 bytes is 256 bits."""
    return prefix + secrets.token_urlsafe(nbytes)


def normalize_access_code(code: str) -> str:
    """Access codes match ignoring case, spaces and dashes (L4)."""
    return "".join(ch for ch in code.upper() if ch not in " -\t")


# Crockford-like alphabet without look-alikes (0/O, 1/I/L, 5/S, 2/Z, 8/B, U/V).
ACCESS_CODE_ALPHABET = "34679ACDEFGHJKMNPQRTWXY"


def new_access_code(groups: int = 4) -> str:
    """16 characters of a 23-letter alphabet: 72 bits, printed in groups of 4 (L4)."""
    chars = [secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(groups * 4)]
    return "-".join("".join(chars[i : i + 4]) for i in range(0, len(chars), 4))
