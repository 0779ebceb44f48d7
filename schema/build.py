"""The executable schema, and the checks every operation runs through, whichever
transport brings it (HTTP, websockets, a direct `schema.execute`).

A document is *prepared* once per distinct text and policy: parsed under the token
limit, measured against the depth, alias and directive limits, then validated. The
result (the document, or the errors that refuse it) is cached, so a repeated
document costs a dictionary lookup; the HTTP layer prepares documents itself to
answer refusals early, and passes the result in the context so nothing is redone.
The cost budget depends on variables, so it is checked on every execution.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    OperationDefinitionNode,
    parse,
    specified_rules,
    validate,
)
from graphql import execute as graphql_execute
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import SchemaExtension
from strawberry.printer import print_schema
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types.execution import ExecutionContext

from loaders.reader import SqlTimeBudgetExceeded, sql_time_budget
from schema.cost import check_cost
from schema.errors import Code, PublicError, request_error
from schema.execution import LeafFastPath, install_direct_resolvers
from schema.limits import DEFAULT_LIMITS, Limits, check_document
from schema.query import Query
from schema.scalars import SCALARS
from schema.subscription import Subscription
from schema.types.article import Article
from schema.types.provider import Provider
from schema.types.topic import Topic

SDL_PATH = Path(__file__).with_name("schema.graphql")
MASKED_MESSAGE = "Unexpected error."
PREPARED_CACHE_SIZE = 512
# Longer documents are prepared again each time rather than cached: the cache's
# memory stays bounded (a parsed document takes some 30x its text) whatever is sent.
PREPARED_CACHE_MAX_QUERY = 16_384
RULES = (*specified_rules, MaybeNullValidationRule, OneOfInputValidationRule)
NO_INTROSPECTION_RULES = (*RULES, NoSchemaIntrospectionCustomRule)
INTROSPECTION_REFUSED = "GraphQL introspection has been disabled"
VALIDATION_ABORTED = "Validation aborted."

log = logging.getLogger("newsgraph.errors")


@dataclass(frozen=True, slots=True)
class Policy:
    """What a document is checked against; part of the prepared-document cache key."""

    limits: Limits = DEFAULT_LIMITS
    introspection: bool = True
    suggestions: bool = True


@dataclass(frozen=True, slots=True)
class Prepared:
    """A checked document, or why it cannot run."""

    document: DocumentNode | None
    errors: tuple[GraphQLError, ...] = ()
    operations: tuple[tuple[str | None, str], ...] = ()  # (name, "query"|"mutation"|…)
    # Costs of its operations that do not depend on variables (see schema/cost.py).
    costs: dict[str | None, int] = field(default_factory=dict, compare=False)

    @property
    def ok(self) -> bool:
        return not self.errors

    def operation_type(self, name: str | None) -> str | None:
        """The type of the operation a request with `operationName` = `name` runs."""
        if name is None:
            return self.operations[0][1] if len(self.operations) == 1 else None
        return next((kind for op, kind in self.operations if op == name), None)


def _parse(query: str, limits: Limits) -> DocumentNode | GraphQLError:
    try:
        return parse(query, max_tokens=limits.max_tokens)
    except GraphQLError as error:
        if "tokens. Parsing aborted" in error.message:
            return request_error(
                f"the document has more than {limits.max_tokens} tokens: send a shorter "
                "query (variables and fragments avoid repeating text)",
                Code.TOO_MANY_TOKENS,
                maxTokens=limits.max_tokens,
            )
        if "nested too deeply" in error.message:  # graphql-core's own nesting guard
            return _too_deep(limits)
        error.extensions = {"code": Code.PARSE_FAILED}
        return error
    except RecursionError:
        return _too_deep(limits)


def _too_deep(limits: Limits) -> GraphQLError:
    return request_error(
        f"the document nests selections too deeply; the limit is {limits.max_depth} levels",
        Code.QUERY_TOO_DEEP,
        maxDepth=limits.max_depth,
    )


def _validation_errors(document: DocumentNode, policy: Policy) -> tuple[GraphQLError, ...]:
    rules = RULES if policy.introspection else NO_INTROSPECTION_RULES
    errors = validate(schema._schema, document, rules, hide_suggestions=not policy.suggestions)
    if errors and errors[-1].message == VALIDATION_ABORTED:  # graphql-core ran out of stack
        errors[-1] = GraphQLError(
            "the document is too repetitive to validate (hundreds of fields in one "
            "selection): remove duplicated fields, which are merged anyway"
        )
    for error in errors:
        refused = error.message.startswith(INTROSPECTION_REFUSED)
        code = Code.INTROSPECTION_DISABLED if refused else Code.VALIDATION_FAILED
        error.extensions = {"code": code}
    return tuple(errors)


def _prepare(query: str, policy: Policy) -> Prepared:
    parsed = _parse(query, policy.limits)
    if isinstance(parsed, GraphQLError):
        return Prepared(None, (parsed,))
    try:
        refused = check_document(parsed, policy.limits)
    except RecursionError:
        refused = _too_deep(policy.limits)
    if refused is not None:
        return Prepared(None, (refused,))
    operations = tuple(
        (d.name.value if d.name else None, d.operation.value)
        for d in parsed.definitions
        if isinstance(d, OperationDefinitionNode)
    )
    return Prepared(parsed, _validation_errors(parsed, policy), operations)


_cache: OrderedDict[tuple[str, Policy], Prepared] = OrderedDict()


def prepare(query: str, policy: Policy) -> Prepared:
    """`query` parsed, checked against `policy` and validated; cached per text and policy."""
    key = (query, policy)
    found = _cache.get(key)
    if found is not None:
        _cache.move_to_end(key)
        return found
    prepared = _prepare(query, policy)
    if len(query) <= PREPARED_CACHE_MAX_QUERY:
        _cache[key] = prepared
        if len(_cache) > PREPARED_CACHE_SIZE:
            _cache.popitem(last=False)
    return prepared


def policy_of(context: Any) -> Policy:
    return Policy(
        getattr(context, "limits", DEFAULT_LIMITS),
        getattr(context, "introspection", True),
        getattr(context, "suggestions", True),
    )


def is_unexpected(error: GraphQLError) -> bool:
    """Raised by our code without being meant for the client: masked and logged.

    Errors with no original exception come from parsing, validation and variable
    coercion and are already written for the client.
    """
    original = error.original_error
    return original is not None and not isinstance(
        original, PublicError | GraphQLError | SqlTimeBudgetExceeded
    )


def _public(error: GraphQLError, suggestions: bool) -> GraphQLError:
    original = error.original_error
    if isinstance(original, SqlTimeBudgetExceeded):
        budget_ms = round(original.budget_seconds * 1000)
        return GraphQLError(
            f"the database work for this request took longer than its budget of "
            f"{budget_ms} ms and was stopped: ask for less (smaller `first`, fewer nested "
            "connections), or split the query",
            error.nodes,
            path=error.path,
            extensions={"code": Code.SQL_TIME_BUDGET_EXCEEDED, "budgetMs": budget_ms},
        )
    if is_unexpected(error):
        return GraphQLError(MASKED_MESSAGE, error.nodes, path=error.path)
    if not suggestions and "Did you mean" in error.message:
        error.message = error.message.split(" Did you mean")[0]
    return error


def cost_refusal(
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    limits: Limits,
    prepared: Prepared,
) -> GraphQLError | None:
    """The client error refusing an operation over the cost budget, if it is."""
    return check_cost(schema._schema, document, operation_name, variables, limits, prepared.costs)


def log_unexpected(errors: list[GraphQLError], context: Any) -> None:
    """Log what clients will only see as "Unexpected error.", with the request id.

    Client mistakes (validation, bad arguments) are not logged: they are not the
    server's problem, and logging them would let clients flood the log.
    """
    request_id = getattr(context, "request_id", None)
    for error in errors:
        if is_unexpected(error):
            log.error(
                "unexpected error in %s: %s",
                ".".join(map(str, error.path or ())),
                error.original_error,
                exc_info=error.original_error,
                extra={"request_id": request_id},
            )


def public_errors(errors: list[GraphQLError], context: Any) -> list[GraphQLError]:
    """The errors as the client sees them: unexpected ones masked, budgets explained."""
    suggestions = getattr(context, "suggestions", True)
    return [_public(error, suggestions) for error in errors]


async def execute_query(
    prepared: Prepared,
    context: Any,
    variables: dict[str, Any] | None,
    operation_name: str | None,
) -> ExecutionResult:
    """A prepared query run as `schema.execute` runs it (cost budget, SQL time budget,
    masked errors), straight through graphql-core.

    Strawberry's `execute` sets up its extension runner, four hook contexts and its
    own execution context per request; for a cold 20-article page that was a tenth
    of the request. RequestGuard keeps the same checks for every other way in
    (websockets, tests calling `schema.execute`), through the same functions.
    """
    document = prepared.document
    assert document is not None and prepared.ok, "only prepared, valid documents"
    limits = getattr(context, "limits", DEFAULT_LIMITS)
    refused = cost_refusal(document, operation_name, variables, limits, prepared)
    if refused is not None:
        return ExecutionResult(data=None, errors=[refused])
    with sql_time_budget(limits.sql_time_budget_ms / 1000):
        result = graphql_execute(
            schema._schema,
            document,
            variable_values=variables,
            operation_name=operation_name,
            context_value=context,
            is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]  # as Strawberry passes it
            executor_class=LeafFastPath,
        )
        if isinstance(result, Awaitable):
            result = await result
    assert isinstance(result, ExecutionResult)
    if result.errors:
        log_unexpected(result.errors, context)
        return ExecutionResult(result.data, public_errors(result.errors, context))
    return result


class RequestGuard(SchemaExtension):
    """Limits, validation from the prepared-document cache, the SQL time budget, and
    error masking; one extension with no resolve hook, so fields run at full speed."""

    prepared: Prepared

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        prepared = getattr(context.context, "prepared", None)
        if not isinstance(prepared, Prepared):
            prepared = prepare(context.query or "", policy_of(context.context))
        if prepared.document is None:
            raise prepared.errors[0]  # Strawberry answers it as the only error
        self.prepared = prepared
        context.graphql_document = prepared.document
        yield

    def on_validate(self) -> Iterator[None]:
        # Already validated: an empty list tells Strawberry not to validate again.
        self.execution_context.pre_execution_errors = list(self.prepared.errors)
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        limits = getattr(context.context, "limits", DEFAULT_LIMITS)
        if context.graphql_document is not None and context.result is None:
            refused = cost_refusal(
                context.graphql_document,
                context.operation_name,
                context.variables,
                limits,
                self.prepared,
            )
            if refused is not None:
                context.result = ExecutionResult(data=None, errors=[refused])
        with sql_time_budget(limits.sql_time_budget_ms / 1000):
            yield

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = public_errors(errors, self.execution_context.context)


class NewsgraphSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Strawberry calls this with the errors before RequestGuard masks them."""
        log_unexpected(errors, execution_context.context if execution_context else None)


def build_schema(*, fast_paths: bool = True) -> strawberry.Schema:
    """The schema; `fast_paths=False` runs every field through Strawberry and graphql-core
    as written (tests compare the two)."""
    built = NewsgraphSchema(
        query=Query,
        subscription=Subscription,
        types=[Article, Provider, Topic],
        config=StrawberryConfig(scalar_map=SCALARS),
        execution_context_class=LeafFastPath if fast_paths else None,
        extensions=[RequestGuard],
    )
    if fast_paths:
        install_direct_resolvers(built)
    return built


schema = build_schema()


def sdl() -> str:
    return print_schema(schema) + "\n"
