"""A whole simulator run (ABP devices, two UDP gateways) against the real Gateway Server with a fake NS."""

from __future__ import annotations

from integration.gatewayserver.harness import running
from lorastack.sim.device.profile import Activation
from lorastack.sim.fleet import gateway_identities
from lorastack.sim.runner import SimSettings, run


async def test_abp_devices_reach_the_network_server_through_two_gateways(unique_name: str) -> None:
    async with running() as gs:
        for identity in gateway_identities(unique_name, 2):
            gs.fake_is.add(identity.gateway_id, identity.eui, plan="EU_863_870")
        settings = SimSettings(
            gateways=2,
            devices=3,
            activation=Activation.ABP,
            rate=4.0,
            duration=1.0,
            gs_udp=f"127.0.0.1:{gs.gs.udp_port}",
            provision=False,
            prefix=unique_name,
        )
        result = await run(settings)
        summary = result.as_dict()
        assert result.devices.uplinks >= 3
        assert result.gateways.uplinks == 2 * result.devices.uplinks
        assert result.gateways.uplinks_acked == result.gateways.uplinks
        assert result.devices.uplinks_not_heard == 0
        forwarded = gs.fake_ns.uplinks.qsize()
        assert forwarded == result.gateways.uplinks
        assert summary["devices_joined"] == 3 and "api_key" not in summary["settings"]
