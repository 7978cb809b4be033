"""benchmarks/bench_ns_uplink.py still runs: a short load into a real NS delivers every uplink, and the
floor mode drives its bare servers. Figures are printed, never asserted (timing belongs to the script)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "bench_ns_uplink.py"

pytestmark = pytest.mark.integration


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_a_short_run_delivers_every_uplink() -> None:
    run = _run("--devices", "200", "--uplinks", "400")
    assert run.returncode == 0, run.stderr
    assert "400/400" in run.stdout


def test_floor_mode() -> None:
    run = _run("--uplinks", "300", "--floor")
    assert run.returncode == 0, run.stderr
    assert "HandleUplink accepted /s" in run.stdout and "client CPU ms per uplink" in run.stdout


def test_too_few_devices_for_the_calls_in_flight_is_refused() -> None:
    run = _run("--devices", "20", "--uplinks", "200")
    assert run.returncode == 2 and "--devices must be at least twice --concurrency" in run.stderr
