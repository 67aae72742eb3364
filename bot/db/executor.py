"""What repositories run SQL on: the pool, or a connection inside the caller's transaction."""

from typing import TypeAlias

import asyncpg

Executor: TypeAlias = asyncpg.Pool | asyncpg.Connection
