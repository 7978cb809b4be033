"""HTTP bindings of gRPC methods, read from google.api.http method options in a descriptor pool.

Each HttpRule and each of its additional_bindings becomes one :class:`Binding` under ``/api/v3``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.descriptor_pool import DescriptorPool

from lorastack.httpapi.pathtemplate import PathTemplate

__all__ = ["PREFIX", "Binding", "RouteTable", "bindings_for", "http_rule", "services_with_rules"]

PREFIX = "/api/v3"
_VERBS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True, slots=True)
class Binding:
    """One HTTP method and path template bound to one gRPC method."""

    http_method: str
    template: PathTemplate
    method: MethodDescriptor
    body: str
    response_body: str
    index: int

    @property
    def service_name(self) -> str:
        return str(self.method.containing_service.full_name)

    @property
    def grpc_path(self) -> str:
        return f"/{self.service_name}/{self.method.name}"

    @property
    def server_streaming(self) -> bool:
        return bool(self.method.server_streaming)

    @property
    def operation_id(self) -> str:
        base = f"{self.method.containing_service.name}_{self.method.name}"
        return base if self.index == 0 else f"{base}{self.index}"


def http_rule(method: MethodDescriptor) -> http_pb2.HttpRule | None:
    """The method's google.api.http option, or ``None``."""
    options = method.GetOptions()
    try:
        if options.HasExtension(annotations_pb2.http):
            return options.Extensions[annotations_pb2.http]
    except KeyError:
        pass
    # Options of a pool other than the default one may carry the extension as unknown bytes.
    reparsed = descriptor_pb2.MethodOptions.FromString(options.SerializeToString())
    if reparsed.HasExtension(annotations_pb2.http):
        return reparsed.Extensions[annotations_pb2.http]
    return None


def _rule_bindings(method: MethodDescriptor, rule: http_pb2.HttpRule) -> Iterator[Binding]:
    rules = [rule, *rule.additional_bindings]
    for index, current in enumerate(rules):
        pattern = current.WhichOneof("pattern")
        if pattern is None:
            continue
        if pattern == "custom":
            verb, path = current.custom.kind.upper(), current.custom.path
        elif pattern in _VERBS:
            verb, path = pattern.upper(), getattr(current, pattern)
        else:
            continue
        template = PathTemplate.parse(PREFIX + path)
        yield Binding(verb, template, method, current.body, current.response_body, index)


def bindings_for(pool: DescriptorPool, service_names: Iterable[str]) -> list[Binding]:
    """Every binding of the named services' methods."""
    out: list[Binding] = []
    for name in service_names:
        service: ServiceDescriptor = pool.FindServiceByName(name)
        for method in service.methods:
            rule = http_rule(method)
            if rule is not None:
                out.extend(_rule_bindings(method, rule))
    return out


def services_with_rules(pool: DescriptorPool) -> list[str]:
    """Full names of the services with HTTP rules among the generated ``*_pb2`` modules loaded in ``pool``.

    A pool cannot list its own contents, so the loaded generated modules stand in for it.
    """
    names: list[str] = []
    for module in list(sys.modules.values()):
        file = getattr(module, "DESCRIPTOR", None)
        if file is None or getattr(file, "pool", None) is not pool:
            continue
        services = getattr(file, "services_by_name", None)
        if not services:
            continue
        for service in services.values():
            if service.full_name not in names and any(http_rule(m) for m in service.methods):
                names.append(service.full_name)
    return sorted(names)


class RouteTable:
    """Finds the binding for an HTTP method and a raw path, grouped by the first path segment."""

    def __init__(self, bindings: Iterable[Binding]) -> None:
        self._by_head: dict[str, list[Binding]] = {}
        self._wild: list[Binding] = []
        for binding in sorted(bindings, key=lambda b: b.template.priority):
            head = _head(binding.template.template)
            if head is None:
                self._wild.append(binding)
            else:
                self._by_head.setdefault(head, []).append(binding)

    def lookup(self, http_method: str, raw_path: str) -> tuple[Binding | None, dict[str, str], bool]:
        """(binding, variables, path_known): path_known tells 405 apart from 404 when nothing matched."""
        head = _head(raw_path) or ""
        known = False
        for binding in [*self._by_head.get(head, []), *self._wild]:
            variables = binding.template.match(raw_path)
            if variables is None:
                continue
            known = True
            if binding.http_method == http_method:
                return binding, variables, True
        return None, {}, known

    def allowed_methods(self, raw_path: str) -> list[str]:
        head = _head(raw_path) or ""
        found = {
            b.http_method for b in [*self._by_head.get(head, []), *self._wild] if b.template.match(raw_path) is not None
        }
        return sorted(found)


def _head(path: str) -> str | None:
    # The segment right after /api/v3; None when the template starts with a variable or wildcard.
    rest = path[len(PREFIX) + 1 :] if path.startswith(PREFIX + "/") else ""
    first = rest.split("/", 1)[0].split(":", 1)[0]
    if not first or first.startswith("{") or first in ("*", "**"):
        return None
    return first
