"""Find the generated code of our protos: import them all, look up a service's module."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType

from google.protobuf import descriptor_pool

__all__ = ["grpc_module", "import_all", "service_descriptor"]

_PACKAGES = ("ttn.lorawan.v3", "tti.lorawan.v3")


@cache
def import_all() -> tuple[ModuleType, ...]:
    """Import every generated ``*_pb2`` module so the default descriptor pool knows all types."""
    modules = []
    for package_name in _PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.iter_modules(package.__path__):
            if info.name.endswith("_pb2"):
                modules.append(importlib.import_module(f"{package_name}.{info.name}"))
    return tuple(modules)


def service_descriptor(full_name: str) -> object:
    import_all()
    return descriptor_pool.Default().FindServiceByName(full_name)


def grpc_module(full_name: str) -> ModuleType:
    """The ``*_pb2_grpc`` module that defines a service (e.g. ``ttn.lorawan.v3.Js``)."""
    service = descriptor_pool.Default().FindServiceByName(full_name) if import_all() else None
    assert service is not None
    module_name = service.file.name.removesuffix(".proto").replace("/", ".") + "_pb2_grpc"
    return importlib.import_module(module_name)
