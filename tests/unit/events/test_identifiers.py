"""Entity references: validation, subject tokens, and which subscriber covers which entity."""

import pytest

from lorastack.events import (
    EUI_ONLY_APPLICATION,
    EntityKind,
    EntityRef,
    InvalidIdentifierError,
    application,
    as_entity_identifiers,
    as_ref,
    client,
    end_device,
    end_device_eui,
    gateway,
    organization,
    user,
)
from ttn.lorawan.v3 import identifiers_pb2 as ids_pb


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


def test_proto_identifiers_map_to_references() -> None:
    app_ids = ids_pb.ApplicationIdentifiers(application_id="app")
    dev_ids = ids_pb.EndDeviceIdentifiers(device_id="dev", application_ids=app_ids)
    assert as_ref(dev_ids) == end_device("app", "dev")
    assert as_ref(ids_pb.EntityIdentifiers(device_ids=dev_ids)) == end_device("app", "dev")
    assert as_ref(app_ids) == application("app")
    assert as_ref(ids_pb.GatewayIdentifiers(gateway_id="gw")) == gateway("gw")
    assert as_ref(ids_pb.EntityIdentifiers(user_ids=ids_pb.UserIdentifiers(user_id="u"))) == user("u")
    assert as_ref(ids_pb.ClientIdentifiers(client_id="c")) == client("c")
    assert as_ref(ids_pb.OrganizationIdentifiers(organization_id="o")) == organization("o")
    with pytest.raises(InvalidIdentifierError):
        as_ref(ids_pb.EntityIdentifiers())
    with pytest.raises(InvalidIdentifierError):
        as_ref(ids_pb.EndDeviceIdentifiers(device_id="dev"))


@pytest.mark.parametrize(
    "ref",
    [end_device("a", "d"), application("a"), gateway("g"), user("u"), client("c"), organization("o")],
)
def test_references_round_trip_through_entity_identifiers(ref: EntityRef) -> None:
    wrapped = as_entity_identifiers(ref)
    assert isinstance(wrapped, ids_pb.EntityIdentifiers)
    assert as_ref(wrapped) == ref
    assert as_entity_identifiers(wrapped) is wrapped


def test_a_device_known_only_by_euis_has_a_reference() -> None:
    join_eui, dev_eui = bytes.fromhex("70B3D57ED0000001"), bytes.fromhex("0004A30B001C0530")
    ref = as_ref(ids_pb.EndDeviceIdentifiers(join_eui=join_eui, dev_eui=dev_eui))
    assert ref == end_device_eui(join_eui, dev_eui)
    assert ref.is_eui_only and ref.euis == (join_eui, dev_eui)
    assert ref.subject_tokens() == ("app", EUI_ONLY_APPLICATION, "70b3d57ed0000001-0004a30b001c0530")
    assert EntityRef.from_subject_tokens(*ref.subject_tokens()) == ref
    wrapped = as_entity_identifiers(ref)
    assert wrapped.device_ids.dev_eui == dev_eui and not wrapped.device_ids.device_id
    assert as_ref(wrapped) == ref
    # A rejoin-request of type 0 or 2 carries no JoinEUI.
    assert end_device_eui(b"", dev_eui).euis == (bytes(8), dev_eui)
    assert not end_device("app", "dev").is_eui_only


def test_the_reserved_application_cannot_be_named_otherwise() -> None:
    with pytest.raises(InvalidIdentifierError):
        application(EUI_ONLY_APPLICATION)
    with pytest.raises(InvalidIdentifierError):
        end_device(EUI_ONLY_APPLICATION, "dev-1")
    with pytest.raises(InvalidIdentifierError):
        end_device_eui(bytes(7), bytes(8))
    with pytest.raises(ValueError):
        _ = end_device("a", "d").euis
    assert not application("a").covers(end_device_eui(bytes(8), bytes(8)))
