"""Path templates of google.api.http rules (google/api/http.proto, "Path template syntax").

Parses ``/a/{b.c}/{name=things/*}/**:verb`` into a matcher that binds variables to field paths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

__all__ = ["PathTemplate", "TemplateError"]

_LITERAL = re.compile(r"^[A-Za-z0-9._~!$&'()+,;=@%-]+$")
_FIELD_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class TemplateError(ValueError):
    """A path template that does not follow the http.proto grammar."""


@dataclass(frozen=True, slots=True)
class PathTemplate:
    """One compiled template; :meth:`match` returns the bound variables or ``None``."""

    template: str
    variables: tuple[str, ...]
    verb: str | None
    literal_count: int
    openapi_path: str
    _regex: re.Pattern[str] = field(repr=False, compare=False)

    @classmethod
    def parse(cls, template: str) -> PathTemplate:
        if not template.startswith("/"):
            raise TemplateError(f"template {template!r} does not start with /")
        body, verb = _split_verb(template)
        pattern: list[str] = []
        openapi: list[str] = []
        variables: list[str] = []
        literals = 0
        for segment in _split_segments(body[1:], template):
            if segment.startswith("{"):
                name, sub = _parse_variable(segment, template)
                if name in variables:
                    raise TemplateError(f"variable {name!r} appears twice in {template!r}")
                group = f"v{len(variables)}"
                variables.append(name)
                pattern.append(f"(?P<{group}>{_segments_regex(sub, template)})")
                openapi.append("{" + name + "}")
                literals += sum(1 for s in sub if s not in ("*", "**"))
            else:
                pattern.append(_segments_regex([segment], template))
                openapi.append(segment)
                literals += segment not in ("*", "**")
        regex = "/" + "/".join(pattern)
        if verb is not None:
            regex += ":" + re.escape(verb)
        return cls(
            template=template,
            variables=tuple(variables),
            verb=verb,
            literal_count=literals,
            openapi_path="/" + "/".join(openapi) + (f":{verb}" if verb else ""),
            _regex=re.compile(regex + r"\Z"),
        )

    def match(self, raw_path: str) -> dict[str, str] | None:
        """Bind the variables of a percent-encoded request path (without query), or ``None``."""
        found = self._regex.match(raw_path)
        if found is None:
            return None
        return {name: unquote(found.group(f"v{i}")) for i, name in enumerate(self.variables)}

    @property
    def priority(self) -> tuple[int, int]:
        """Sort key: templates with a verb, then with more literal segments, are tried first."""
        return (0 if self.verb else 1, -self.literal_count)


def _split_verb(template: str) -> tuple[str, str | None]:
    # The verb is the text after the last colon that is outside any {...} variable.
    depth = 0
    for index in range(len(template) - 1, -1, -1):
        char = template[index]
        if char == "}":
            depth += 1
        elif char == "{":
            depth -= 1
        elif char == "/" and depth == 0:
            break
        elif char == ":" and depth == 0:
            verb = template[index + 1 :]
            if not _LITERAL.match(verb):
                raise TemplateError(f"bad verb {verb!r} in {template!r}")
            return template[:index], verb
    return template, None


def _split_segments(body: str, template: str) -> list[str]:
    segments: list[str] = []
    current = ""
    depth = 0
    for char in body:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        if char == "/" and depth == 0:
            segments.append(current)
            current = ""
        else:
            current += char
    segments.append(current)
    if depth != 0 or any(not s for s in segments):
        raise TemplateError(f"malformed template {template!r}")
    return segments


def _parse_variable(segment: str, template: str) -> tuple[str, list[str]]:
    if not segment.endswith("}"):
        raise TemplateError(f"malformed variable {segment!r} in {template!r}")
    inner = segment[1:-1]
    name, has_sub, sub = inner.partition("=")
    if not _FIELD_PATH.match(name):
        raise TemplateError(f"bad field path {name!r} in {template!r}")
    return name, (sub.split("/") if has_sub else ["*"])


def _segments_regex(segments: list[str], template: str) -> str:
    parts: list[str] = []
    for segment in segments:
        if segment == "*":
            parts.append(r"[^/]+")
        elif segment == "**":
            parts.append(r".+")
        elif _LITERAL.match(segment):
            parts.append(re.escape(segment))
        else:
            raise TemplateError(f"bad segment {segment!r} in {template!r}")
    return "/".join(parts)
