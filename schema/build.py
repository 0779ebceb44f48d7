"""The executable schema: types plus the extensions every request runs through."""

from __future__ import annotations

from pathlib import Path

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, ParserCache, QueryDepthLimiter, ValidationCache
from strawberry.extensions.max_aliases import MaxAliasesLimiter
from strawberry.printer import print_schema
from strawberry.schema.config import StrawberryConfig

from schema.cost import QueryCostLimiter
from schema.errors import PublicError
from schema.limits import DEFAULT_LIMITS
from schema.query import Query
from schema.scalars import SCALARS
from schema.subscription import Subscription
from schema.types.article import Article
from schema.types.provider import Provider
from schema.types.topic import Topic

SDL_PATH = Path(__file__).with_name("schema.graphql")


def is_internal(error: GraphQLError) -> bool:
    """Mask errors raised by our code unless they were meant for the client.

    Errors with no original exception come from parsing and validation and are
    already written for the client.
    """
    original = error.original_error
    return original is not None and not isinstance(original, PublicError | GraphQLError)


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        subscription=Subscription,
        types=[Article, Provider, Topic],
        config=StrawberryConfig(scalar_map=SCALARS),
        # Factories, not instances: extensions may keep per-request state. The parser
        # and validation caches live at module level, so they are shared anyway:
        # repeated documents skip parsing and validation (and so the limits below).
        extensions=[
            lambda: ParserCache(maxsize=1024),
            lambda: ValidationCache(maxsize=1024),
            lambda: QueryDepthLimiter(max_depth=DEFAULT_LIMITS.max_depth),
            lambda: MaxAliasesLimiter(max_alias_count=DEFAULT_LIMITS.max_aliases),
            lambda: QueryCostLimiter(max_cost=DEFAULT_LIMITS.max_cost),
            lambda: MaskErrors(should_mask_error=is_internal),
        ],
    )


schema = build_schema()


def sdl() -> str:
    return print_schema(schema) + "\n"
