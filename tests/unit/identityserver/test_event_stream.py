"""Unit tests of Events.Stream's scope: which events a caller's rights let through."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from identityserver.event_stream import Scope, parse_request
from lorastack import events
from lorastack.errors import LorastackError
from lorastack.rights import expand
from ttn.lorawan.v3 import events_pb2, identifiers_pb2
from ttn.lorawan.v3 import rights_pb2 as r

TRAFFIC = events.define("as.up.data.forward", visibility=[r.RIGHT_APPLICATION_TRAFFIC_READ])
PLAIN = events.define("test.plain")


def event(defn: events.EventDefinition, ref: events.EntityRef) -> events_pb2.Event:
    return events.new_event(defn, identifiers=[ref], origin="t", time=datetime.now(UTC))


@pytest.mark.parametrize(
    ("held", "defn", "ref", "visible"),
    [
        ({r.RIGHT_APPLICATION_INFO}, TRAFFIC, events.end_device("app", "dev"), False),
        ({r.RIGHT_APPLICATION_TRAFFIC_READ}, TRAFFIC, events.end_device("app", "dev"), True),
        (expand([r.RIGHT_APPLICATION_ALL]), TRAFFIC, events.application("app"), True),
        ({r.RIGHT_APPLICATION_TRAFFIC_READ}, TRAFFIC, events.end_device("other", "dev"), False),
        ({r.RIGHT_APPLICATION_INFO}, PLAIN, events.application("app"), True),
        ({r.RIGHT_APPLICATION_INFO}, PLAIN, events.gateway("app"), False),
    ],
)
def test_scope_allows(held: set[int], defn: events.EventDefinition, ref: events.EntityRef, visible: bool) -> None:
    scope = Scope(((events.application("app"), frozenset(held)),))
    assert scope.allows(event(defn, ref)) is visible


def test_parse_request_refuses_bad_input() -> None:
    app = identifiers_pb2.EntityIdentifiers(application_ids=identifiers_pb2.ApplicationIdentifiers(application_id="a1"))
    for bad in (
        events_pb2.StreamEventsRequest(),
        events_pb2.StreamEventsRequest(identifiers=[app], names=["/(/"]),
        events_pb2.StreamEventsRequest(identifiers=[app], names=[""]),
        events_pb2.StreamEventsRequest(
            identifiers=[
                identifiers_pb2.EntityIdentifiers(
                    application_ids=identifiers_pb2.ApplicationIdentifiers(application_id="Bad_Id")
                )
            ]
        ),
    ):
        with pytest.raises(LorastackError):
            parse_request(bad)
    refs, names, after = parse_request(events_pb2.StreamEventsRequest(identifiers=[app], names=["is.*"]))
    assert refs == [events.application("a1")] and names == ["is.*"] and after is None
