#!/usr/bin/env bash
# Install what Lorastack needs on a Debian machine, idempotently:
# system packages (PostgreSQL, Redis, NATS, Prometheus, docker-compose, kubectl),
# the Python virtualenv in .venv with the project and its pinned dependencies.
# Each missing piece is named before it is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "$2" ]; }
have pg_ctlcluster /usr/bin/pg_ctlcluster || need_apt+=(postgresql)
have redis-server /usr/bin/redis-server || need_apt+=(redis-server)
have nats-server /usr/sbin/nats-server || need_apt+=(nats-server)
have prometheus /usr/bin/prometheus || need_apt+=(prometheus)
have docker-compose /usr/bin/docker-compose || need_apt+=(docker-compose)
have kubectl /usr/bin/kubectl || need_apt+=(kubernetes-client)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing missing Debian packages: ${need_apt[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: not root; run: sudo apt-get install -y ${need_apt[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # Debian's packages start their daemons through systemd, which may not run here:
  # we start what we need ourselves (scripts/infra.sh).
fi

python_bin=$(command -v python3.11 || command -v python3)
if ! "$python_bin" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "setup: Python 3.11 is required, found $("$python_bin" --version)" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating the virtualenv in .venv"
  "$python_bin" -m venv .venv
fi
stamp=.venv/.lorastack-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python dependencies (pinned in pyproject.toml)"
  .venv/bin/pip install -q --disable-pip-version-check -e '.[dev]'
  touch "$stamp"
fi
