"""Entity references: validation, subject tokens, and which subscriber covers which entity."""

import pytest
from lorastack.events import (
    EntityKind,
    EntityRef,
    InvalidIdentifierError,
    application,
    end_device,
    gateway,
    user,
)


def test_device_lives_under_its_application() -> None:
    device = end_device("app-1", "dev-1")
    assert device.subject_tokens() == ("app", "app-1", "dev-1")
    assert application("app-1").subject_tokens() == ("app", "app-1", "_")
    assert gateway("gw-1").subject_tokens() == ("gtw", "gw-1", "_")


@pytest.mark.parametrize("ref", [end_device("a", "d"), application("a"), gateway("g"), user("u-1")])
def test_subject_tokens_round_trip(ref: EntityRef) -> None:
    assert EntityRef.from_subject_tokens(*ref.subject_tokens()) == ref


def test_application_covers_its_devices_only() -> None:
    app = application("a")
    assert app.covers(end_device("a", "d"))
    assert app.covers(app)
    assert not app.covers(end_device("b", "d"))
    assert not end_device("a", "d").covers(app)
    assert not gateway("a").covers(application("a"))


@pytest.mark.parametrize("bad", ["", "Upper", "a.b", "a*", "a>", "a_b", "-a", "x" * 65])
def test_unsafe_ids_are_refused(bad: str) -> None:
    with pytest.raises(InvalidIdentifierError):
        application(bad)


def test_only_devices_carry_an_application() -> None:
    with pytest.raises(InvalidIdentifierError):
        EntityRef(EntityKind.GATEWAY, "g", "a")
    with pytest.raises(InvalidIdentifierError):
        EntityRef(EntityKind.END_DEVICE, "d")
