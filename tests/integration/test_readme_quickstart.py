"""The README's Quick start, executed command by command exactly as written (with the reader's documented
substitutions: the admin API key, the MQTT port), each command's output checked against what the README
shows. It uses the fixed local ports, so it fails at once, naming them, when one is taken."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import nats
import pytest
import pytest_asyncio
from redis.asyncio import Redis

from cluster_support import drop_database

pytestmark = [pytest.mark.integration, pytest.mark.timeout(420)]

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PROMPT = "$ "
TCP_PORTS = (1884, 1885, 2884, 2885, 3884, 3885, 4884, 4885, 5884, 5885, 1887)
UDP_PORTS = (1700,)
MQTT_PORTS = (1883, 11883)
KEY_LINE = re.compile(r"admin API key \(shown once, store it now\): (NNSXS\.[A-Z0-9]+\.[A-Z0-9]+)")
CLUSTER_READY = "press Ctrl-C to stop"

# What must appear, for the command with this index, both in the README after that command and in what the
# command really printed: the facts a reader relies on, not the ids, keys and times that differ per run.
ESSENTIALS: dict[int, tuple[str, ...]] = {
    0: (r"admin API key \(shown once, store it now\): NNSXS\.", r"as: ready  gRPC 127\.0\.0\.1:4884", CLUSTER_READY),
    1: (r"logged in with API key [A-Z0-9]+", r"configuration stored in "),
    2: (r'"application_id": "demo"', r'"user_id": "admin"'),
    3: (r"application demo: default uplink formatter FORMATTER_CAYENNELPP", r'"devices_joined": 1'),
    4: (
        r"subscribed to v3/demo/devices/\+/up on localhost:1?1883",
        r'"topic": "v3/demo/devices/demo-dev-0/up"',
        r'"frm_payload": "AWcBCg=="',
        r'"decoded_payload": \{\s+"temperature_1": 26\.6\s+\}',
    ),
}


@dataclass(frozen=True)
class Step:
    command: str
    shown: str  # the README's text after the command, up to the next command


def quick_start_steps(text: str) -> list[Step]:
    """The ``$ `` lines of the Quick start section's console blocks, each with what the README shows after it."""
    section = text.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```console\n(.*?)```", section, flags=re.S)
    commands = [line[len(PROMPT) :] for block in blocks for line in block.splitlines() if line.startswith(PROMPT)]
    steps = []
    for i, command in enumerate(commands):
        after = section.split(PROMPT + command, 1)[1]
        # A background command's output shows up later, so the README may show it after later commands.
        if i + 1 < len(commands) and not command.endswith("&"):
            after = after.split(PROMPT + commands[i + 1], 1)[0]
        steps.append(Step(command, after))
    return steps


def taken_ports() -> list[str]:
    taken = []
    for port in TCP_PORTS:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                taken.append(f"TCP {port}")
    for port in UDP_PORTS:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.bind(("0.0.0.0", port))
            except OSError:
                taken.append(f"UDP {port}")
    mqtt_taken = []
    for port in MQTT_PORTS:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                mqtt_taken.append(port)
    if len(mqtt_taken) == len(MQTT_PORTS):
        taken.append("TCP 1883 and 11883 (the AS's MQTT needs one of them)")
    return taken


class Terminal:
    """Runs the README's commands the way a reader's shell does, from the repository root."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.background: list[tuple[int, asyncio.subprocess.Process]] = []

    async def start(self, command: str) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            "/bin/bash", "-c", command,
            cwd=ROOT, env=self.env, start_new_session=True,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip

    async def run(self, command: str, timeout: float = 120) -> str:
        proc = await self.start(command)
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
        text = out.decode(errors="replace")
        assert proc.returncode == 0, f"`{command}` exited with {proc.returncode}:\n{text}"
        return text


async def read_until(proc: asyncio.subprocess.Process, marker: str, timeout: float) -> str:
    """Output of a command that keeps running, up to the line holding ``marker``."""
    assert proc.stdout is not None
    seen: list[str] = []

    async def lines() -> None:
        while True:
            raw = await proc.stdout.readline()  # type: ignore[union-attr]
            if not raw:
                raise AssertionError("the command ended before printing " + repr(marker) + ":\n" + "".join(seen))
            seen.append(raw.decode(errors="replace"))
            if marker in seen[-1]:
                return

    try:
        await asyncio.wait_for(lines(), timeout)
    except TimeoutError:
        raise AssertionError(f"no {marker!r} after {timeout:.0f}s:\n{''.join(seen)}") from None
    return "".join(seen)


async def interrupt(proc: asyncio.subprocess.Process, timeout: float = 40) -> None:
    """Ctrl-C to the command's whole process group, then SIGKILL if it does not stop."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGINT)
    try:
        await asyncio.wait_for(proc.wait(), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()


# Redis database of the quick start run (other tests use database 0 under their own prefixes).
QUICKSTART_REDIS_DB = 9


async def forget_stores(stream: str) -> None:
    redis = Redis.from_url(f"redis://127.0.0.1:6379/{QUICKSTART_REDIS_DB}")
    await redis.flushdb()
    await redis.aclose()
    client = await nats.connect("nats://127.0.0.1:4222")
    with contextlib.suppress(Exception):  # the stream may never have been created
        await client.jetstream().delete_stream(stream)
    await client.close()


@pytest_asyncio.fixture
async def terminal(tmp_path: Path) -> AsyncIterator[Terminal]:
    taken = taken_ports()
    if taken:
        pytest.fail(f"the quick start needs the fixed local ports, but these are taken: {', '.join(taken)}")
    database = f"lorastack_quickstart_{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "LORASTACK_DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{database}",
        # Its own Redis database and event stream, so nothing of the run stays behind for others.
        "LORASTACK_REDIS_URL": f"redis://127.0.0.1:6379/{QUICKSTART_REDIS_DB}",
        "LORASTACK_EVENTS_STREAM": f"QUICKSTART_{database.upper()}",
        "LORASTACK_EVENTS_SUBJECT_PREFIX": f"quickstart.{database}",
        "LORASTACK_DEV_STATE_DIR": str(tmp_path / "var"),
        "LORASTACK_CLI_CONFIG": str(tmp_path / "cli" / "config.json"),
    }
    term = Terminal(env)
    try:
        yield term
    finally:
        for _, proc in term.background:
            await interrupt(proc)
        await drop_database(database)
        await forget_stores(env["LORASTACK_EVENTS_STREAM"])


def check_essentials(index: int, step: Step, printed: str) -> None:
    for pattern in ESSENTIALS.get(index, ()):
        assert re.search(pattern, step.shown), f"the README no longer shows {pattern!r} for `{step.command}`"
        assert re.search(pattern, printed), f"`{step.command}` did not print {pattern!r}:\n{printed}"


async def test_the_readme_quick_start_works_as_written(terminal: Terminal) -> None:
    steps = quick_start_steps(README.read_text())
    assert 1 <= len(steps) <= 5, [s.command for s in steps]
    assert steps[0].command == "make up"
    shown_key = KEY_LINE.search(steps[0].shown)
    assert shown_key, "the README's `make up` output shows no admin API key"

    up = await terminal.start(steps[0].command)
    terminal.background.append((0, up))
    up_text = await read_until(up, CLUSTER_READY, timeout=240)
    check_essentials(0, steps[0], up_text)
    real_key = KEY_LINE.search(up_text)
    assert real_key, up_text
    # The reader's substitutions, as the README explains them.
    substitutions = {shown_key.group(1): real_key.group(1)}
    if "listens on 11883" not in up_text:
        substitutions["localhost:11883"] = "localhost:1883"

    for index, step in enumerate(steps[1:], start=1):
        command = step.command
        for shown, real in substitutions.items():
            command = command.replace(shown, real)
        if command.endswith("&"):
            proc = await terminal.start(command.removesuffix("&").strip())
            terminal.background.append((index, proc))
            continue
        check_essentials(index, step, await terminal.run(command))

    for index, proc in terminal.background:
        if index == 0:
            continue
        out, _ = await asyncio.wait_for(proc.communicate(), 120)
        text = out.decode(errors="replace")
        assert proc.returncode == 0, f"`{steps[index].command}` exited with {proc.returncode}:\n{text}"
        check_essentials(index, steps[index], text)

    await interrupt(up)
    assert up.stdout is not None
    rest = (await up.stdout.read()).decode(errors="replace")
    assert "stopping ..." in rest, rest
