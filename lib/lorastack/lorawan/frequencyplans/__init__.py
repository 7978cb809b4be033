"""Frequency plans with The Things Stack's plan ids, a loader for the public YAML format, gateway configs."""

from __future__ import annotations

from lorastack.lorawan.frequencyplans.gateway import (
    BASIC_STATION_REGIONS,
    basic_station_router_config,
    sx1301_conf,
)
from lorastack.lorawan.frequencyplans.loader import (
    FrequencyPlanError,
    FrequencyPlanStore,
    builtin_store,
    parse_duration,
)
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

__all__ = [
    "BASIC_STATION_REGIONS",
    "LBT",
    "DwellTime",
    "FrequencyPlan",
    "FrequencyPlanError",
    "FrequencyPlanStore",
    "PlanChannel",
    "PlanDescription",
    "Radio",
    "RadioTx",
    "SingleChannel",
    "TimeOffAir",
    "basic_station_router_config",
    "builtin_store",
    "get_plan",
    "list_plans",
    "parse_duration",
    "sx1301_conf",
]


def list_plans() -> tuple[PlanDescription, ...]:
    """Id, name, band id and description of every built-in plan."""
    return builtin_store().descriptions()


def get_plan(plan_id: str) -> FrequencyPlan:
    """A built-in plan by The Things Stack plan id, e.g. ``"EU_863_870_TTN"``."""
    return builtin_store().get(plan_id)
