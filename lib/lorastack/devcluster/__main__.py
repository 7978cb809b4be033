"""``python -m lorastack.devcluster up``: the whole cluster on this host, in the foreground.

Ctrl-C (or SIGTERM) stops all five processes gracefully. Logs go to var/log/ (or $LORASTACK_DEV_STATE_DIR/log).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import signal
import socket
import sys
from pathlib import Path

from lorastack.devcluster.cluster import LOCAL_PORTS, LocalCluster

STATE_DIR_ENV = "LORASTACK_DEV_STATE_DIR"


def _state_dir() -> Path:
    """Where keys and logs go: ``$LORASTACK_DEV_STATE_DIR``, else ``var/`` under the working directory."""
    return Path(os.environ.get(STATE_DIR_ENV) or Path.cwd() / "var")


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _local_key(name: str) -> bytes:
    """A random AES-128 key kept in var/ (mode 0600), so that restarts read their own data."""
    state = _state_dir()
    path = state / f"{name}.key"
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    state.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(16)
    path.write_text(key.hex())
    path.chmod(0o600)
    return key


async def _up() -> int:
    taken = [f"{role} {port}" for role, ports in LOCAL_PORTS.items() for port in ports if _port_taken(port)]
    if taken:
        print(f"ports already in use: {', '.join(taken)} (is the cluster already running?)", file=sys.stderr)
        return 1
    mqtt_port = 1883
    if _port_taken(mqtt_port):
        mqtt_port = 11883
        print("port 1883 is taken (another MQTT broker?): the AS's MQTT server listens on 11883")
    # LORASTACK_* variables of the caller's environment reach every role (addresses and ports
    # stay the local layout's), so the local cluster is configured like a deployed one.
    env = {
        "LORASTACK_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/lorastack",
        "LORASTACK_LOG_FORMAT": "json",
        **{k: v for k, v in os.environ.items() if k.startswith("LORASTACK_")},
    }
    # Keys at rest are encrypted with local keys: the JS's root keys, the AS's AppSKeys.
    role_env = {
        "as": {
            "LORASTACK_AS_MQTT_ADDRESS": f"0.0.0.0:{mqtt_port}",
            "LORASTACK_AS_KEKS": f"local={_local_key('as-kek').hex()}",
            "LORASTACK_AS_DEVICE_KEK_LABEL": "local",
        },
        "js": {"LORASTACK_JS_ROOT_KEY_KEK": _local_key("js-root-kek").hex()},
    }
    cluster = LocalCluster(
        ports=LOCAL_PORTS, cluster_key=_local_key("cluster"), log_dir=_state_dir() / "log", env=env, role_env=role_env
    )
    print("starting the Identity, Gateway, Network, Application and Join Servers ...")
    try:
        await cluster.start(timeout=90)
        print(await cluster.bootstrap())
    except (RuntimeError, TimeoutError) as err:
        print(f"the cluster did not start: {err}", file=sys.stderr)
        await cluster.stop()
        return 1
    for role, rp in cluster.roles.items():
        print(f"  {role}: ready  gRPC {rp.grpc_target}  HTTP {rp.http_url}  log {rp.log_path}")
    print(f"REST API: {cluster.roles['is'].http_url}/api/v3  console: {cluster.roles['is'].http_url}/api")
    print("press Ctrl-C to stop")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    stop_wait = asyncio.create_task(stop.wait())
    exit_wait = asyncio.create_task(cluster.wait_any_exit())
    done, _ = await asyncio.wait({stop_wait, exit_wait}, return_when=asyncio.FIRST_COMPLETED)
    code = 0
    if exit_wait in done:
        dead = exit_wait.result()
        print(f"{dead.role} exited unexpectedly:\n{dead.log_tail()}", file=sys.stderr)
        code = 1
    for task in (stop_wait, exit_wait):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    print("stopping ...")
    await cluster.stop()
    return code


def main() -> None:
    parser = argparse.ArgumentParser(prog="lorastack-dev", description="Run the Lorastack cluster locally.")
    parser.add_argument("command", choices=["up"], help="up: start all five roles in the foreground")
    parser.parse_args()
    sys.exit(asyncio.run(_up()))


if __name__ == "__main__":
    main()
