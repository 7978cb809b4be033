"""Event definitions: TTS-style names accepted, others refused."""

import pytest

from lorastack.events import define

RIGHT_APPLICATION_TRAFFIC_READ = 24  # ttn.lorawan.v3.Right


@pytest.mark.parametrize("name", ["gs.up.receive", "ns.up.data.process", "js.join.accept", "is.end_device.create"])
def test_the_things_stack_names_are_valid(name: str) -> None:
    definition = define(name, visibility=[RIGHT_APPLICATION_TRAFFIC_READ])
    assert definition.name == name
    assert definition.visibility == (RIGHT_APPLICATION_TRAFFIC_READ,)
    assert ".".join(definition.name_tokens) == name


@pytest.mark.parametrize("name", ["", "gs", "GS.up", "gs..up", "gs.up.", "gs.up*", "gs.up>", "gs up"])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="invalid event name"):
        define(name)


def test_negative_right_is_refused() -> None:
    with pytest.raises(ValueError, match="visibility"):
        define("gs.up.receive", visibility=[-1])
