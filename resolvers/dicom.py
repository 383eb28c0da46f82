"""Checks and conversions of DICOM values, shared by the data-file loader and the partner API."""

from __future__ import annotations

import re

# Every check raises ValueError, even for a wrong type: pydantic validators and GraphQL input
# handling turn ValueError (not TypeError) into a field error for the client.

# DICOM PS3.5 9.1: components of digits separated by dots, no leading zero unless the
# component is "0" itself, at most 64 characters in all.
_UID = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*")
UID_MAX_LENGTH = 64

# Modality (0008,0060) codes: CT, MR, US, CR, MG, ... (a stricter form of the CS value rules).
MODALITY = re.compile(r"[A-Z0-9]{1,16}")

# PN component order inside one group: Family^Given^Middle^Prefix^Suffix (PS3.5 6.2).
_PN_COMPONENTS = 5


def validate_uid(value: str) -> str:
    """Return `value` when it is a valid DICOM UID; raise ValueError saying what is wrong."""
    if not isinstance(value, str):
        kind = type(value).__name__
        raise ValueError(f"a DICOM UID must be a string, not {kind}")  # noqa: TRY004
    if not value:
        raise ValueError("a DICOM UID must not be empty")
    if len(value) > UID_MAX_LENGTH:
        raise ValueError(
            f'invalid DICOM UID "{value}": {len(value)} characters, at most {UID_MAX_LENGTH}'
        )
    if not _UID.fullmatch(value):
        raise ValueError(
            f'invalid DICOM UID "{value}": expected digits separated by single dots, '
            'without leading zeros in a component'
        )
    return value


def validate_modality(value: str) -> str:
    """Return `value` when it is a modality code (1-16 upper-case letters or digits).

    Raises ValueError otherwise.
    """
    if not isinstance(value, str) or not MODALITY.fullmatch(value):
        shown = f'"{value}"' if isinstance(value, str) else type(value).__name__
        raise ValueError(
            f"invalid modality {shown}: expected 1 to 16 upper-case letters or digits, "
            "such as CT or MR"
        )
    return value


def person_name(pn: str) -> str:
    """Turn a DICOM PN into a display name.

    "Family^Given^Middle^Prefix^Suffix" becomes "Prefix Given Middle Family Suffix".

    Empty components are skipped; a name without "^" is returned as it is (trimmed). Only the
    first non-empty component group counts (PN may add "=ideographic=phonetic" groups).
    Raises ValueError for an empty name or one with more than five components.
    """
    if not isinstance(pn, str):
        raise ValueError(f"a person name must be a string, not {type(pn).__name__}")  # noqa: TRY004
    group = next((g for g in pn.split("=") if g.strip(" ^")), "")
    if not group:
        raise ValueError("a person name must not be empty")
    if "^" not in group:
        return group.strip()
    parts = [part.strip() for part in group.split("^")]
    if len(parts) > _PN_COMPONENTS:
        raise ValueError(
            f'invalid person name "{pn}": at most {_PN_COMPONENTS} components separated by "^"'
        )
    family, given, middle, prefix, suffix = parts + [""] * (_PN_COMPONENTS - len(parts))
    return " ".join(p for p in (prefix, given, middle, family, suffix) if p)


def _element(vr: str, value: object) -> dict[str, object]:
    return {"vr": vr, "Value": [value]} if value not in (None, "") else {"vr": vr}


def series_dicom_json(series: list) -> list[dict[str, object]]:
    """Series as DICOM JSON (PS3.18 F.2, QIDO-RS style), one object per series (A8)."""
    return [
        {
            "0020000E": _element("UI", s.series_instance_uid),
            "00080060": _element("CS", s.modality),
            "0008103E": _element("LO", s.description),
            "00180015": _element("CS", s.body_part),
            "00201209": _element("IS", s.number_of_instances),
        }
        for s in series
    ]
