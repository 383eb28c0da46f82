from __future__ import annotations

import strawberry


@strawberry.interface(description="Opaque, globally unique id; node(id:) resolves it (A5).")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
