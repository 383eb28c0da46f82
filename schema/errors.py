"""Every error the client sees carries a contract code; unexpected ones are masked (S3)."""

from __future__ import annotations

import logging
import uuid

from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

from resolvers.errors import ApiError

log = logging.getLogger("studygate.errors")


def _is_unexpected(error: GraphQLError) -> bool:
    """An exception from our code that is not an ApiError: a bug, never shown."""
    original = error.original_error
    return error.path is not None and original is not None and not isinstance(original, ApiError)


class ContractErrors(MaskErrors):
    """Masks unexpected errors as INTERNAL with a request id; gives request errors BAD_USER_INPUT."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda e: True)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if isinstance(error.original_error, ApiError):
            return error
        if not _is_unexpected(error):
            if not (error.extensions or {}).get("code"):
                error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
            return error
        request_id = uuid.uuid4().hex
        log.error(
            "unexpected error %s at %s", request_id, error.path, exc_info=error.original_error
        )
        return GraphQLError(
            message=f"Internal error (request {request_id}).",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL", "requestId": request_id},
        )
