# The two commands of the README: `make up` runs the whole local cluster,
# `make test` runs the whole test suite. Both install what is missing first.
.PHONY: up test bench setup infra lint proto

up: setup infra
	.venv/bin/python -m lorastack.devcluster up

test: setup infra
	.venv/bin/python -m pytest -n 2 -q

bench: setup infra
	.venv/bin/python benchmarks/bench_cluster.py --devices 1500 --rate 500 --duration 30 --gateways 20 --no-duty-cycle

setup:
	@scripts/setup.sh

infra:
	@scripts/infra.sh

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

proto: setup
	.venv/bin/python -m lorastack.tools.genproto
