"""Starting a role with a bad environment fails at once, naming every bad variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lorastack.devcluster import MODULES

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("module", sorted(MODULES.values()))
def test_bad_environment_names_every_bad_variable(module: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LORASTACK_")}
    env.update(
        {
            "LORASTACK_GRPC_ADDRESS": "not-an-address",
            "LORASTACK_CLUSTER_KEYS": "abc",
            "LORASTACK_LOG_FORMAT": "xml",
        }
    )
    result = subprocess.run(
        [sys.executable, "-m", module], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2, result.stderr
    for name in ("LORASTACK_GRPC_ADDRESS", "LORASTACK_CLUSTER_KEYS", "LORASTACK_LOG_FORMAT"):
        assert name in result.stderr
    assert "Traceback" not in result.stderr
