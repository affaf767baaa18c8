"""One emulator for every rehearsal of the session (see emulator.py)."""

from __future__ import annotations

import time

import pytest

from . import emulator
from .rehearsal import STARTED, Rehearsal


@pytest.fixture(scope="session")
def rehearsal(tmp_path_factory):
    server, port = emulator.start()
    yield Rehearsal(port, tmp_path_factory.mktemp("rehearsal"))
    server.stop()
    print("\nrehearsal total {:.1f}s".format(time.monotonic() - STARTED))
