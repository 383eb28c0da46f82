"""Schema extensions that run around each operation."""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension

from resolvers.study_access import flush_access_log


class AccessLogWriter(SchemaExtension):
    """A7: the entries a request logged are written in one batch once it has executed."""

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        if context is not None:
            await flush_access_log(context)
