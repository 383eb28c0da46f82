"""Counting the SQL statements a request runs (Tortoise logs each one on `tortoise.db_client`)."""

from __future__ import annotations

import logging
from contextlib import contextmanager

from tortoise.log import db_client_logger

VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage().lstrip()
        if text.upper().startswith(VERBS):
            self.statements.append(text)


@contextmanager
def count_sql():
    handler = _Counter()
    level = db_client_logger.level
    db_client_logger.addHandler(handler)
    db_client_logger.setLevel(logging.DEBUG)
    try:
        yield handler.statements
    finally:
        db_client_logger.removeHandler(handler)
        db_client_logger.setLevel(level)
