"""amqtt plugins that hand authentication, topic checks and downlink publishes to the MqttFrontend.

amqtt builds plugins itself from dotted names; the frontend arrives through each plugin's ``Config``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from amqtt.contexts import Action  # type: ignore[import-untyped]
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin  # type: ignore[import-untyped]

__all__ = ["ApplicationAuthPlugin", "ApplicationTopicPlugin"]

_REQUESTS = ("/down/push", "/down/replace")


class ApplicationAuthPlugin(BaseAuthPlugin):  # type: ignore[misc]
    @dataclass
    class Config:
        frontend: Any = None

    async def authenticate(self, *, session: Any) -> bool:
        frontend = self.context.config.frontend
        return bool(await frontend.authenticate(session.client_id, session.username, session.password))

    async def on_broker_client_disconnected(self, *, client_id: str, **_: Any) -> None:
        self.context.config.frontend.forget(client_id)


class ApplicationTopicPlugin(BaseTopicPlugin):  # type: ignore[misc]
    @dataclass
    class Config:
        frontend: Any = None

    async def topic_filtering(self, *, session: Any = None, topic: str | None = None, action: Any = None) -> bool:
        frontend = self.context.config.frontend
        if session is None or topic is None:
            return False
        if action == Action.SUBSCRIBE:
            return bool(frontend.may_subscribe(session.client_id, topic))
        if action == Action.RECEIVE:
            # Downlink requests go to the NS, not back out to subscribers of down/#.
            return bool(frontend.may_subscribe(session.client_id, topic)) and not topic.endswith(_REQUESTS)
        if action == Action.PUBLISH:
            return bool(frontend.may_publish(session.client_id, topic))
        return False

    async def on_broker_message_broadcast(self, *, client_id: str, message: Any, **_: Any) -> None:
        self.context.config.frontend.downlink_published(client_id, message.topic, bytes(message.data or b""))
