"""S1 query limits: depth, aliases, tokens and cost, refused before anything executes.

`QueryLimits` runs inside Strawberry's parse and validation steps. It parses with a hard cap,
measures the operation (aliases, depth, repeated fields, tokens), validates the document, and
prices it with `schema.cost.query_cost`. A query past a limit gets exactly one error,
`QUERY_TOO_COMPLEX`, saying which limit and by how much. Setting `pre_execution_errors` (to
the refusal, the validation errors, or `[]`) makes Strawberry skip its own validation, so the
extensions listed after this one (the partner budget) see a validated, affordable document.

Parsed documents and their validation are cached by query text (bounded LRU), so a client
repeating a query pays for neither twice.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Source,
    TokenKind,
)
from graphql.language.lexer import Lexer
from graphql.utilities import get_operation_ast
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

from schema.cost import query_cost

MAX_DEPTH, MAX_ALIASES, MAX_TOKENS, MAX_COST = 10, 15, 2_000, 10_000
# Our own addition: one field asked for more than 30 times in one selection is refused before
# validation, whose overlap check would spend up to a second on a 2,000-token query.
MAX_REPEATS = 30
# The parser stops here: far enough past MAX_TOKENS that an over-long query is still measured
# (1,000 aliases are refused as aliases), near enough that parsing stays cheap.
PARSE_TOKEN_CAP = 10 * MAX_TOKENS
MAX_COMMENTS = MAX_TOKENS
CACHE_SIZE = 512
_COST_ATTRIBUTE = "_studygate_query_cost"


@dataclass
class _Analysis:
    """What one query text's document measures, and its validation (per schema and rules)."""

    document: DocumentNode
    tokens: int
    validations: dict[tuple[int, tuple[type, ...]], list[GraphQLError]]


class Lru(OrderedDict):
    """A dictionary of at most CACHE_SIZE entries that forgets the least recently used."""

    def get_fresh(self, key: Any) -> Any:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        if len(self) > CACHE_SIZE:
            self.popitem(last=False)


_CACHE = Lru()


def count_tokens(query: str, stop_after: int) -> tuple[int, int]:
    """(lexical tokens, deepest `{` nesting) of `query`, counting no further than `stop_after`
    tokens; a lexical error ends the count (the parser reports it)."""
    lexer = Lexer(Source(query))
    tokens = depth = deepest = 0
    try:
        while tokens <= stop_after:
            kind = lexer.advance().kind
            if kind == TokenKind.EOF:
                break
            tokens += 1
            if kind == TokenKind.BRACE_L:
                depth += 1
                deepest = max(deepest, depth)
            elif kind == TokenKind.BRACE_R:
                depth -= 1
    except GraphQLError:
        pass
    return tokens, deepest


def too_complex(limit: str, value: int | None = None, maximum: int | None = None,
                **more: Any) -> GraphQLError:
    """The one error of a refused query: which limit, the query's value and the maximum."""
    if value is None:
        return GraphQLError(f"The query is too complex ({limit}).",
                            extensions={"code": "QUERY_TOO_COMPLEX", "limit": limit})
    return GraphQLError(
        f"The query is too complex: {limit} {value}, at most {maximum}.",
        extensions={"code": "QUERY_TOO_COMPLEX", "limit": limit, "value": value,
                    "maximum": maximum, **more},
    )


def computed_cost(execution_context: ExecutionContext) -> int | None:
    """The cost `QueryLimits` computed for this operation; None when it did not get that far."""
    return getattr(execution_context, _COST_ATTRIBUTE, None)


class _Shape:
    """Depth, aliases and the most repeated field of an operation; each fragment measured once
    (no exponential blow-up from a fragment spread twice, level after level)."""

    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {d.name.value: d for d in document.definitions
                          if isinstance(d, FragmentDefinitionNode)}
        self.memo: dict[str, tuple[int, int]] = {}
        self.repeats = 0

    def measure(self, selection_set: SelectionSetNode | None) -> tuple[int, int]:
        """(depth, aliases) below a selection set; a root field is at depth 1."""
        if selection_set is None:
            return 0, 0
        depth = aliases = 0
        self.repeats = max(self.repeats, _most_repeated(selection_set))
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                below, below_aliases = self.measure(selection.selection_set)
                if selection.name.value.startswith("__"):
                    # Introspection's depth is bounded by the schema (GraphiQL's own query nests
                    # deeper than 10); its aliases and repeats still count.
                    below = 0
                depth = max(depth, 1 + below)
                aliases += below_aliases + (1 if selection.alias else 0)
            elif isinstance(selection, InlineFragmentNode):
                below, below_aliases = self.measure(selection.selection_set)
                depth, aliases = max(depth, below), aliases + below_aliases
            elif isinstance(selection, FragmentSpreadNode):
                below, below_aliases = self.fragment(selection.name.value)
                depth, aliases = max(depth, below), aliases + below_aliases
        return depth, aliases

    def fragment(self, name: str) -> tuple[int, int]:
        if name not in self.memo:
            self.memo[name] = (0, 0)  # while in progress: a cycle adds nothing
            definition = self.fragments.get(name)
            if definition is not None:
                self.memo[name] = self.measure(definition.selection_set)
        return self.memo[name]


def _most_repeated(selection_set: SelectionSetNode) -> int:
    """How often the most repeated response key occurs in one selection (inline fragments
    included): graphql-core's overlap check is quadratic in it."""
    counts: Counter[str] = Counter()
    pending = [selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                counts[(selection.alias or selection.name).value] += 1
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
    return max(counts.values(), default=0)


class QueryLimits(SchemaExtension):
    """Refuses a query past a limit with one QUERY_TOO_COMPLEX error; nothing executes."""

    def __init__(self, max_cost: int = MAX_COST, max_depth: int = MAX_DEPTH,
                 max_aliases: int = MAX_ALIASES, max_tokens: int = MAX_TOKENS) -> None:
        self.max_cost, self.max_depth = max_cost, max_depth
        self.max_aliases, self.max_tokens = max_aliases, max_tokens
        self.analysis: _Analysis | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        if context.graphql_document is None and isinstance(query, str):
            self.analysis = _CACHE.get_fresh(query)
            if self.analysis is not None:
                context.graphql_document = self.analysis.document
            else:
                context.parse_options.update(  # type: ignore[typeddict-unknown-key]
                    max_lexical_tokens=PARSE_TOKEN_CAP, max_comments=MAX_COMMENTS)
        yield
        if self.analysis is not None or not isinstance(query, str):
            return
        if context.graphql_document is not None:
            tokens, _ = count_tokens(query, PARSE_TOKEN_CAP)
            self.analysis = _Analysis(context.graphql_document, tokens, {})
            _CACHE.put(query, self.analysis)
        elif context.pre_execution_errors:
            self._refuse_unparsable(query, context.pre_execution_errors[0])

    def _refuse_unparsable(self, query: str, error: GraphQLError) -> None:
        """A document that did not parse because it is too long or too deep is refused as too
        complex (the same error object: Strawberry returns it as it is)."""
        tokens, deepest = count_tokens(query, self.max_tokens)
        if tokens > self.max_tokens:
            refusal = too_complex("tokens", tokens, self.max_tokens)
        elif deepest > self.max_depth + 1:  # + 1: the operation's own braces
            refusal = too_complex("depth", deepest - 1, self.max_depth)
        else:
            return
        error.message, error.extensions = refusal.message, refusal.extensions
        error.locations = error.positions = error.nodes = error.source = None

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.pre_execution_errors is None and context.graphql_document is not None:
            context.pre_execution_errors = self._check(context)
        yield

    def _check(self, context: ExecutionContext) -> list[GraphQLError]:
        document = context.graphql_document
        assert document is not None
        analysis = self.analysis or _Analysis(document, 0, {})
        operation = get_operation_ast(document, context.operation_name)
        if isinstance(operation, OperationDefinitionNode):
            shape = _Shape(document)
            depth, aliases = shape.measure(operation.selection_set)
            if aliases > self.max_aliases:
                return [too_complex("aliases", aliases, self.max_aliases)]
            if depth > self.max_depth:
                return [too_complex("depth", depth, self.max_depth)]
            if shape.repeats > MAX_REPEATS:
                return [too_complex("repeatedField", shape.repeats, MAX_REPEATS)]
        if analysis.tokens > self.max_tokens:
            return [too_complex("tokens", analysis.tokens, self.max_tokens)]
        errors = self._validate(context, analysis)
        if len(errors) == 1 and isinstance(errors[0], ValidationAbortedError):
            # graphql-core gave up (recursion or its fragment work budget), not a mistake.
            return [too_complex("validation")]
        if errors:
            return errors
        cost = query_cost(context.schema._schema, document, context.variables,
                          context.operation_name)
        setattr(context, _COST_ATTRIBUTE, cost)
        if cost > self.max_cost:
            return [too_complex("cost", cost, self.max_cost, cost=cost, maxCost=self.max_cost)]
        return []

    @staticmethod
    def _validate(context: ExecutionContext, analysis: _Analysis) -> list[GraphQLError]:
        """Strawberry's validation, cached per schema and rule set; fresh error objects each
        time, since later steps edit errors in place."""
        key = (id(context.schema._schema), tuple(context.validation_rules))
        if key not in analysis.validations:
            analysis.validations[key] = validate_document(
                context.schema._schema, analysis.document, context.validation_rules)
        return [type(e)(e.message, e.nodes, e.source, e.positions, e.path, e.original_error,
                        e.extensions) for e in analysis.validations[key]]
