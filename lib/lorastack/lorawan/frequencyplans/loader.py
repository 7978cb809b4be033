"""Parse plans in the public lorawan-frequency-plans YAML format and resolve base plans and band defaults.

Pure: callers hand in YAML text; the package's own plans are read with importlib.resources.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from importlib import resources
from typing import Any

import yaml

from lorastack.lorawan.band import get_band
from lorastack.lorawan.band._common import rx1_same_frequency
from lorastack.lorawan.band.base import SubBand
from lorastack.lorawan.errors import LoRaWANError
from lorastack.lorawan.frequencyplans.model import (
    LBT,
    DwellTime,
    FrequencyPlan,
    PlanChannel,
    PlanDescription,
    Radio,
    RadioTx,
    SingleChannel,
    TimeOffAir,
)

__all__ = ["FrequencyPlanError", "FrequencyPlanStore", "builtin_store", "parse_duration"]

_INDEX_FILE = "frequency-plans.yml"
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


class FrequencyPlanError(LoRaWANError):
    """An unknown plan id or a plan file that does not describe a plan."""


def parse_duration(text: str | int | float) -> float:
    """Go-style durations as the plan files write them (``400ms``, ``1s``, ``1m30s``) -> seconds."""
    if isinstance(text, int | float):
        return float(text)
    parts = _DURATION.findall(text.strip())
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        raise FrequencyPlanError(f"invalid duration {text!r}")
    return sum(float(n) * _UNITS[u] for n, u in parts)


def _mapping(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FrequencyPlanError(f"{what} must be a mapping")
    return value


def _channel(raw: object) -> PlanChannel:
    d = _mapping(raw, "channel")
    return PlanChannel(
        int(d["frequency"]), int(d.get("min-data-rate", 0)), int(d.get("max-data-rate", 5)), int(d.get("radio", 0))
    )


def _single(raw: object) -> SingleChannel:
    d = _mapping(raw, "channel")
    return SingleChannel(int(d["frequency"]), int(d.get("data-rate", 0)), int(d.get("radio", 0)))


def _radio(raw: object) -> Radio:
    d = _mapping(raw, "radio")
    tx = None
    if "tx" in d and d["tx"] is not None:
        t = _mapping(d["tx"], "radio tx")
        notch = t.get("notch-frequency")
        tx = RadioTx(int(t["min-frequency"]), int(t["max-frequency"]), None if notch is None else int(notch))
    return Radio(
        bool(d.get("enable", True)),
        str(d.get("chip-type", "")),
        int(d["frequency"]),
        float(d.get("rssi-offset", 0)),
        tx,
    )


def _sub_band(raw: object) -> SubBand:
    d = _mapping(raw, "sub-band")
    return SubBand(
        int(d["min-frequency"]), int(d["max-frequency"]), float(d.get("duty-cycle", 1)), float(d.get("max-eirp", 0))
    )


def _resolve(plan: PlanDescription, raw: Mapping[str, Any]) -> FrequencyPlan:
    """Turn merged YAML fields into a plan, taking what the file leaves out from the band."""
    band_id = str(raw.get("band-id", plan.band_id))
    band = get_band(band_id)
    uplinks = tuple(_channel(c) for c in raw.get("uplink-channels") or ())
    if not uplinks:
        uplinks = tuple(PlanChannel(c.frequency, c.min_data_rate, c.max_data_rate) for c in band.uplink_channels)
    if raw.get("downlink-channels"):
        downlinks = tuple(_channel(c) for c in raw["downlink-channels"])
    elif band.rx1_frequency_fn is rx1_same_frequency:
        downlinks = tuple(PlanChannel(c.frequency, c.min_data_rate, c.max_data_rate) for c in uplinks)
    else:
        downlinks = tuple(PlanChannel(c.frequency, c.min_data_rate, c.max_data_rate) for c in band.downlink_channels)
    rx2 = _single(raw["rx2-channel"]) if raw.get("rx2-channel") else SingleChannel(band.rx2_frequency, 0)
    rx2 = replace(rx2, data_rate=int(raw.get("rx2-default-data-rate", band.rx2_data_rate_index)))
    ping = _single(raw["ping-slot"]) if raw.get("ping-slot") else SingleChannel(band.ping_slot_frequencies[0], 0)
    ping = replace(ping, data_rate=int(raw.get("ping-slot-default-data-rate", band.ping_slot_data_rate_index)))
    dwell_raw = raw.get("dwell-time") or {}
    lbt_raw = raw.get("lbt") or raw.get("listen-before-talk")
    toa_raw = raw.get("time-off-air") or {}
    return FrequencyPlan(
        id=plan.id,
        band_id=band_id,
        name=plan.name,
        description=plan.description,
        uplink_channels=uplinks,
        downlink_channels=downlinks,
        sub_bands=tuple(_sub_band(s) for s in raw.get("sub-bands") or ()) or band.sub_bands,
        rx2_channel=rx2,
        ping_slot=ping,
        radios=tuple(_radio(r) for r in raw.get("radios") or ()),
        lora_standard_channel=_single(raw["lora-standard-channel"]) if raw.get("lora-standard-channel") else None,
        fsk_channel=_single(raw["fsk-channel"]) if raw.get("fsk-channel") else None,
        dwell_time=DwellTime(
            dwell_raw.get("uplinks"),
            dwell_raw.get("downlinks"),
            parse_duration(dwell_raw["duration"]) if dwell_raw.get("duration") is not None else None,
        ),
        lbt=None
        if not lbt_raw
        else LBT(
            float(lbt_raw.get("rssi-target", 0)),
            float(lbt_raw.get("rssi-offset", 0)),
            # The plan files give the scan time in nanoseconds.
            int(lbt_raw.get("scan-time", 0)) // 1000,
        ),
        time_off_air=TimeOffAir(
            toa_raw.get("fraction"),
            parse_duration(toa_raw["duration"]) if toa_raw.get("duration") is not None else None,
        ),
        clock_source=int(raw.get("clock-source", 0)),
        max_eirp=float(raw["max-eirp"]) if raw.get("max-eirp") is not None else None,
    )


class FrequencyPlanStore:
    """Plans from one index and its files; ``read`` returns a file's YAML text by name."""

    def __init__(self, index_yaml: str, read: Callable[[str], str]) -> None:
        self._read = read
        self._raw_cache: dict[str, dict[str, Any]] = {}
        self._plans: dict[str, FrequencyPlan] = {}
        entries = yaml.safe_load(index_yaml) or []
        if not isinstance(entries, list):
            raise FrequencyPlanError("the plan index must be a list")
        self._index: dict[str, PlanDescription] = {}
        for entry in entries:
            try:
                desc = self._index_entry(entry)
            except (KeyError, TypeError, ValueError) as exc:
                raise FrequencyPlanError(f"invalid plan index entry {entry!r}: {exc}") from None
            self._index[desc.id] = desc

    @staticmethod
    def _index_entry(entry: object) -> PlanDescription:
        d = _mapping(entry, "plan index entry")
        return PlanDescription(
            id=str(d["id"]),
            band_id=str(d["band-id"]),
            name=str(d.get("name", d["id"])),
            description=str(d.get("description", "")),
            base_frequency=int(d.get("base-frequency", 0)),
            file=d.get("file"),
            base_id=d.get("base-id"),
            country_codes=tuple(str(c) for c in d.get("country-codes") or ()),
        )

    @classmethod
    def from_texts(cls, index_yaml: str, files: Mapping[str, str]) -> FrequencyPlanStore:
        def read(name: str) -> str:
            try:
                return files[name]
            except KeyError:
                raise FrequencyPlanError(f"plan file {name!r} is missing") from None

        return cls(index_yaml, read)

    def descriptions(self) -> tuple[PlanDescription, ...]:
        return tuple(self._index.values())

    def get(self, plan_id: str) -> FrequencyPlan:
        if plan_id not in self._plans:
            desc, raw = self._description(plan_id), self._raw(plan_id, ())
            try:
                self._plans[plan_id] = _resolve(desc, raw)
            except FrequencyPlanError:
                raise
            except (LoRaWANError, KeyError, TypeError, ValueError) as exc:
                raise FrequencyPlanError(f"frequency plan {plan_id!r} is invalid: {exc!r}") from None
        return self._plans[plan_id]

    def _description(self, plan_id: str) -> PlanDescription:
        try:
            return self._index[plan_id]
        except KeyError:
            raise FrequencyPlanError(f"unknown frequency plan {plan_id!r}") from None

    def _raw(self, plan_id: str, seen: tuple[str, ...]) -> dict[str, Any]:
        """The plan's YAML fields over its base plan's; top-level keys of the overlay win."""
        if plan_id in seen:
            raise FrequencyPlanError(f"frequency plan {plan_id!r} is its own base")
        if plan_id in self._raw_cache:
            return self._raw_cache[plan_id]
        desc = self._description(plan_id)
        merged: dict[str, Any] = {}
        if desc.base_id:
            merged.update(self._raw(desc.base_id, (*seen, plan_id)))
        if desc.file:
            try:
                own = yaml.safe_load(self._read(desc.file)) or {}
            except yaml.YAMLError as exc:
                raise FrequencyPlanError(f"plan file {desc.file!r} is not valid YAML: {exc}") from None
            merged.update(_mapping(own, f"plan file {desc.file!r}"))
        merged["band-id"] = desc.band_id
        self._raw_cache[plan_id] = merged
        return merged


def _read_builtin(name: str) -> str:
    try:
        return resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FrequencyPlanError(f"built-in plan file {name!r} is missing") from None


_BUILTIN: list[FrequencyPlanStore] = []


def builtin_store() -> FrequencyPlanStore:
    """The plans shipped inside the package, read on first use."""
    if not _BUILTIN:
        _BUILTIN.append(FrequencyPlanStore(_read_builtin(_INDEX_FILE), _read_builtin))
    return _BUILTIN[0]
