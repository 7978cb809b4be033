"""The subject scheme and the NATS filters derived from identifiers and name patterns."""

import pytest

from lorastack.events import (
    NamePattern,
    SubjectScheme,
    application,
    compile_name_patterns,
    end_device,
    end_device_eui,
    gateway,
)

SCHEME = SubjectScheme("lorastack.events")


def _matches(filter_: str, subject: str) -> bool:
    """NATS wildcard semantics, to check filters against subjects without a server."""
    f_tokens, s_tokens = filter_.split("."), subject.split(".")
    for index, token in enumerate(f_tokens):
        if token == ">":
            return len(s_tokens) > index
        if index >= len(s_tokens) or (token != "*" and token != s_tokens[index]):
            return False
    return len(f_tokens) == len(s_tokens)


def test_subject_layout() -> None:
    assert (
        SCHEME.subject("default", end_device("app-1", "dev-1"), "ns.up.data.process")
        == "lorastack.events.default.app.app-1.dev-1.ns.up.data.process"
    )
    assert SCHEME.subject("t1", gateway("gw"), "gs.up.receive") == "lorastack.events.t1.gtw.gw._.gs.up.receive"


def test_parse_inverts_subject() -> None:
    subject = SCHEME.subject("t1", end_device("a", "d"), "js.join.accept")
    assert SCHEME.parse(subject) == ("t1", end_device("a", "d"), "js.join.accept")
    with pytest.raises(ValueError):
        SCHEME.parse("other.t1.app.a._.x.y")


def test_one_copy_of_a_device_event_reaches_application_and_device_filters() -> None:
    subjects = SCHEME.subjects("t", [application("a"), end_device("a", "d"), gateway("g")], "ns.up.data.process")
    assert subjects == [
        "lorastack.events.t.app.a.d.ns.up.data.process",
        "lorastack.events.t.gtw.g._.ns.up.data.process",
    ]
    device_subject = subjects[0]
    assert _matches(SCHEME.filter("t", application("a")), device_subject)
    assert _matches(SCHEME.filter("t", end_device("a", "d")), device_subject)
    assert not _matches(SCHEME.filter("t", end_device("a", "other")), device_subject)
    assert not _matches(SCHEME.filter("t", application("b")), device_subject)
    assert not _matches(SCHEME.filter("u", application("a")), device_subject)
    assert _matches(SCHEME.filter("t", None), device_subject)


@pytest.mark.parametrize(
    ("pattern", "suffix"),
    [
        ("ns.up.data.process", "ns.up.data.process"),
        ("ns.up.*", "ns.up.>"),
        ("ns.*.process", "ns.>"),
        ("*", ">"),
        ("gs.up.rec?ive", "gs.up.>"),
        ("/^ns\\./", ">"),
    ],
)
def test_name_patterns_narrow_the_filter(pattern: str, suffix: str) -> None:
    assert NamePattern(pattern).subject_suffix() == suffix


def test_filters_product_and_collapse() -> None:
    refs = [application("a"), end_device("a", "d"), gateway("g")]
    assert SCHEME.filters("t", refs, ["ns.up.*", "js.join.accept"]) == [
        "lorastack.events.t.app.a.*.ns.up.>",
        "lorastack.events.t.app.a.*.js.join.accept",
        "lorastack.events.t.gtw.g._.ns.up.>",
        "lorastack.events.t.gtw.g._.js.join.accept",
    ]
    assert SCHEME.filters("t", [gateway("g")], ["gs.*", "/x/"]) == ["lorastack.events.t.gtw.g._.>"]
    assert SCHEME.filters("t", [], ["gs.up.*"]) == ["lorastack.events.t.*.*.*.gs.up.>"]
    assert SCHEME.filters("t", [], []) == ["lorastack.events.t.>"]


def test_tenantless_name_filter_matches_any_entity() -> None:
    (filter_,) = SCHEME.filters("t", [], ["gs.up.*"])
    assert _matches(filter_, SCHEME.subject("t", gateway("g"), "gs.up.receive"))
    assert _matches(filter_, SCHEME.subject("t", end_device("a", "d"), "gs.up.receive"))
    assert not _matches(filter_, SCHEME.subject("t", gateway("g"), "gs.down.send"))


def test_compiled_patterns() -> None:
    accepts = compile_name_patterns(["ns.up.*", "/^js\\.join\\./"])
    assert accepts("ns.up.data.process")
    assert accepts("js.join.accept")
    assert not accepts("ns.down.data.schedule.attempt")
    assert not accepts("xjs.join.accept")
    assert compile_name_patterns([])("anything.at.all")


@pytest.mark.parametrize("prefix", ["", "a..b", "a.*", "a.>", "a b"])
def test_bad_prefix(prefix: str) -> None:
    with pytest.raises(ValueError):
        SubjectScheme(prefix)


def test_eui_only_devices_have_their_own_subject_and_filter() -> None:
    ref = end_device_eui(bytes.fromhex("0101010101010101"), bytes.fromhex("0202020202020202"))
    subject = SCHEME.subject("t", ref, "js.join.reject")
    assert subject == "lorastack.events.t.app._eui.0101010101010101-0202020202020202.js.join.reject"
    assert SCHEME.parse(subject) == ("t", ref, "js.join.reject")
    assert _matches(SCHEME.filter("t", ref), subject)
    assert _matches(SCHEME.filter("t", None), subject)
    other = end_device_eui(bytes.fromhex("0101010101010101"), bytes.fromhex("0303030303030303"))
    assert not _matches(SCHEME.filter("t", other), subject)
    assert not _matches(SCHEME.filter("t", application("a")), subject)
