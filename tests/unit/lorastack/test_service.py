"""The shared entry point of every server process."""

from __future__ import annotations

import gc
import os
from typing import cast

import pytest

from lorastack.component import Component
from lorastack.config import ServiceConfig
from lorastack.service import main


def test_main_freezes_what_was_built_before_serving(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("LORASTACK_"):
            monkeypatch.delenv(name)
    frozen_when_run: list[int] = []

    class Built:
        async def run(self) -> None:
            frozen_when_run.append(gc.get_freeze_count())

    async def build(config: ServiceConfig) -> Component:
        return cast(Component, Built())

    gc.unfreeze()
    try:
        main(ServiceConfig, build)
    finally:
        gc.unfreeze()
    assert frozen_when_run and frozen_when_run[0] > 0
