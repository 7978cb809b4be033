"""REST face of the gRPC API: google.api.http rules transcoded to gRPC calls, OpenAPI and the API console."""

from lorastack.httpapi.jsoncodec import from_json, to_json
from lorastack.httpapi.openapi import build_document
from lorastack.httpapi.pathtemplate import PathTemplate, TemplateError
from lorastack.httpapi.rules import PREFIX, Binding, bindings_for, http_rule, services_with_rules
from lorastack.httpapi.scalars import HEX_BYTES_FIELDS, CodecError
from lorastack.httpapi.transcoder import RestGateway

__all__ = [
    "HEX_BYTES_FIELDS",
    "PREFIX",
    "Binding",
    "CodecError",
    "PathTemplate",
    "RestGateway",
    "TemplateError",
    "bindings_for",
    "build_document",
    "from_json",
    "http_rule",
    "services_with_rules",
    "to_json",
]
