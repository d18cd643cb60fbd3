"""Whether a missing service skips a test or fails it, for every test folder of the repository.

A server or client that cannot be had makes its tests skip with the reason, loudly, except
where the suite is required to run everything (``CI`` set to a true value: ``true``, ``1``,
``yes``), where it is a failure: CI must never pass by testing nothing.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest

from ember.plugins.testing import ServerProcess, ServiceUnavailable


def required_here() -> bool:
    """Whether every test must run here (CI): then nothing may skip for want of a service."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def unavailable(service: str, reason: str) -> None:
    """Skip (or, where required, fail) because ``service`` cannot be had here."""
    message = f"{service} is not available for these tests: {reason}"
    if required_here():
        pytest.fail(message)
    pytest.skip(message)


def required_module(name: str, install: str) -> ModuleType:
    """Import ``name`` (a client, a plugin, PySpark); a missing one skips the test, or fails it
    where required, saying how to install it."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        unavailable(name, f"{error}; {install}")


class SuiteServer(ServerProcess):
    """A ServerProcess whose failure to start is the suite's to judge: skipped, or failed where
    every test is required to run."""

    def start(self, timeout: float = 20.0) -> SuiteServer:
        try:
            return super().start(timeout)
        except ServiceUnavailable as error:
            unavailable(self.name, str(error))


def started(server: ServerProcess) -> ServerProcess:
    """``server.start()``, for servers the distributions provide (Tansu, moto): one that cannot
    start skips the test, or fails it where every test is required to run."""
    try:
        return server.start()
    except ServiceUnavailable as error:
        unavailable(server.name, str(error))
