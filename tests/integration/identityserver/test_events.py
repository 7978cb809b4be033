"""IS events on the bus: create, update and delete of entities and API keys, with the tenant kept."""

from __future__ import annotations

import asyncio

from integration.identityserver.harness import Server
from integration.identityserver.helpers import app_key, create_app
from lorastack import events
from ttn.lorawan.v3 import rights_pb2


async def test_registry_changes_publish_events(server: Server) -> None:
    config = server.config
    bus = events.EventBus(
        config.nats_url, stream=config.events_stream, subject_prefix=config.events_subject_prefix, origin="test"
    )
    async with bus:
        await create_app(server, "ev-app")
        await app_key(server, "ev-app", [rights_pb2.RIGHT_APPLICATION_INFO])
        status, _, _ = await server.rest(
            "PUT", "/applications/ev-app", body={"application": {"name": "n"}, "field_mask": {"paths": ["name"]}}
        )
        assert status == 200
        status, _, _ = await server.rest("DELETE", "/applications/ev-app")
        assert status == 200
        names: list[str] = []
        async with bus.subscribe([events.application("ev-app")], tail=10) as sub:
            while len(names) < 4:
                event = await asyncio.wait_for(anext(sub), 5)
                names.append(event.name)
                assert event.identifiers[0].application_ids.application_id == "ev-app"
        assert names == ["is.application.create", "is.api_key.create", "is.application.update", "is.application.delete"]
