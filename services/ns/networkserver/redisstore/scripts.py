"""Running one Lua script many times in a pipeline without redis-py's per-execute SCRIPT EXISTS
round trip: EVALSHA straight away, and load the script only when Redis says it does not know it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError, ResponseError

__all__ = ["evalsha_many"]

Call = tuple[Sequence[str], Sequence[bytes | str | int]]


async def evalsha_many(redis: Redis, script: AsyncScript, calls: Sequence[Call]) -> list[Any]:
    """The results of ``script`` for each (keys, args), in order; raises the first script error."""
    if not calls:
        return []
    for _attempt in range(2):
        async with redis.pipeline(transaction=False) as pipe:
            for keys, args in calls:
                pipe.evalsha(script.sha, len(keys), *keys, *args)
            results: list[Any] = await pipe.execute(raise_on_error=False)
        if any(isinstance(r, NoScriptError) for r in results):
            await redis.script_load(script.script)
            continue
        for result in results:
            if isinstance(result, ResponseError):
                raise result
        return results
    raise NoScriptError("script could not be loaded")
