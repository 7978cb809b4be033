"""The repository's own rules: lint, format, types, module size, fresh generated code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MAX_LINES = 600
GENERATED = ("lib/ttn/", "lib/tti/")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


def test_ruff_lint_is_clean() -> None:
    result = _run(str(BIN / "ruff"), "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = _run(str(BIN / "ruff"), "format", "--check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    result = _run(str(BIN / "mypy"), "--no-incremental", "--cache-dir=/dev/null")
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_hand_written_module_is_over_the_limit() -> None:
    tracked = _run("git", "ls-files", "*.py").stdout.split()
    too_long = {}
    for name in tracked:
        if name.startswith(GENERATED):
            continue
        path = ROOT / name
        if path.exists():
            count = len(path.read_text().splitlines())
            if count > MAX_LINES:
                too_long[name] = count
    assert not too_long, f"modules over {MAX_LINES} lines: {too_long}"


def test_generated_protobuf_code_is_fresh() -> None:
    result = _run(sys.executable, "-m", "lorastack.tools.genproto", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
