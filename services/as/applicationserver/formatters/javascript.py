"""JavaScript payload formatters (The Things Stack's ``decodeUplink``/``encodeDownlink``/``decodeDownlink``
and the legacy ``Decoder``/``Encoder``) run in QuickJS with a time and a memory limit per call."""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import quickjs  # type: ignore[import-untyped]

__all__ = ["FormatterError", "JavaScriptEngine", "ScriptResult"]

# Entry points the engine adds beside the user's script. They pick the modern function when the
# script defines it and fall back on the legacy one, so one call path serves both styles.
_SHIMS = """
function __lorastack_decode_up(input) {
  if (typeof decodeUplink === 'function') { return decodeUplink(input); }
  if (typeof Decoder === 'function') { return { data: Decoder(input.bytes, input.fPort) }; }
  throw new Error('the script defines neither decodeUplink nor Decoder');
}
function __lorastack_encode_down(input) {
  if (typeof encodeDownlink === 'function') { return encodeDownlink(input); }
  if (typeof Encoder === 'function') { return { bytes: Encoder(input.data, input.fPort), fPort: input.fPort }; }
  throw new Error('the script defines neither encodeDownlink nor Encoder');
}
function __lorastack_decode_down(input) {
  if (typeof decodeDownlink === 'function') { return decodeDownlink(input); }
  throw new Error('the script does not define decodeDownlink');
}
"""


class FormatterError(Exception):
    """The script failed, ran out of time or memory, or returned something unusable."""


@dataclass(frozen=True, slots=True)
class ScriptResult:
    value: Mapping[str, Any]
    warnings: tuple[str, ...] = field(default=())


class _Compiled:
    __slots__ = ("context", "entries")

    def __init__(self, script: str, time_limit: float, memory_limit: int) -> None:
        self.context = quickjs.Context()
        self.context.set_memory_limit(memory_limit)
        self.context.set_time_limit(time_limit)
        self.context.eval(script)
        self.context.eval(_SHIMS)
        self.entries = {
            name: self.context.get(f"__lorastack_{name}") for name in ("decode_up", "encode_down", "decode_down")
        }


class JavaScriptEngine:
    """Compiled scripts are cached by content; a context that failed is thrown away so the next
    call starts clean (a memory bomb leaves its heap full, a timeout may leave state half-changed)."""

    def __init__(self, *, time_limit: float = 0.1, memory_limit: int = 16 * 1024 * 1024, cache_size: int = 256) -> None:
        self._time_limit = time_limit
        self._memory_limit = memory_limit
        self._cache_size = cache_size
        self._cache: OrderedDict[bytes, _Compiled] = OrderedDict()

    def _compiled(self, script: str) -> tuple[bytes, _Compiled]:
        digest = hashlib.sha256(script.encode()).digest()
        hit = self._cache.get(digest)
        if hit is not None:
            self._cache.move_to_end(digest)
            return digest, hit
        try:
            compiled = _Compiled(script, self._time_limit, self._memory_limit)
        except quickjs.JSException as err:
            raise FormatterError(f"script does not compile: {_first_line(err)}") from None
        self._cache[digest] = compiled
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return digest, compiled

    def call(self, script: str, entry: str, payload: Mapping[str, Any]) -> ScriptResult:
        """Run ``entry`` (decode_up, encode_down, decode_down) with ``payload`` as its input object."""
        digest, compiled = self._compiled(script)
        try:
            argument = compiled.context.parse_json(json.dumps(payload))
            answer = compiled.entries[entry](argument)
            text = answer.json() if isinstance(answer, quickjs.Object) else json.dumps(answer)
        except (quickjs.JSException, quickjs.StackOverflow, MemoryError) as err:
            self._cache.pop(digest, None)
            raise FormatterError(_first_line(err)) from None
        value = json.loads(text) if text else None
        if not isinstance(value, dict):
            raise FormatterError("the function must return an object")
        errors = value.get("errors")
        if isinstance(errors, list) and errors:
            raise FormatterError("; ".join(str(e) for e in errors))
        warnings = value.get("warnings")
        return ScriptResult(value, tuple(str(w) for w in warnings) if isinstance(warnings, list) else ())


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
