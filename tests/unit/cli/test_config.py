"""The CLI's configuration file: 0600 from the first byte, defaults when absent, clear errors when broken."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from lorastack.cli.config import CONFIG_ENV, DEFAULT_ADDRESSES, CliConfig, config_path, load_config, save_config


def test_saved_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "config.json"
    old = os.umask(0)  # even a permissive umask must not widen it
    try:
        save_config(CliConfig(api_key="NNSXS.A.B"), path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_config(path).api_key == "NNSXS.A.B"


def test_an_existing_wider_file_is_narrowed(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text("{}")
    path.chmod(0o644)
    save_config(CliConfig(api_key="k"), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_missing_file_means_local_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path / "absent.json")
    assert config.api_key == ""
    assert {r: config.address(r) for r in DEFAULT_ADDRESSES} == dict(DEFAULT_ADDRESSES)
    assert config.address("js") == "127.0.0.1:5884"


def test_partial_addresses_fall_back_per_role(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"api_key": "k", "addresses": {"ns": "ns.example:3884"}}')
    config = load_config(path)
    assert config.address("ns") == "ns.example:3884" and config.address("is") == "127.0.0.1:1884"


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"addresses": 3}'])
def test_a_broken_file_is_reported_with_its_path(tmp_path: Path, content: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=str(path)):
        load_config(path)


def test_path_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "x.json"))
    assert config_path() == tmp_path / "x.json"
    monkeypatch.delenv(CONFIG_ENV)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_path() == tmp_path / "lorastack" / "config.json"
