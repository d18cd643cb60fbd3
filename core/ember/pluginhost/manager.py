"""The plugin manager: finds the ``ember`` entry points, loads them once, and isolates failures.

Nothing is loaded at ``import ember``; the first question asked of the plugins (a source kind,
an executor scheme, the plugin list) loads them all.  A plugin whose module fails to import,
that does not fit the hook specs, or whose hook raises, is recorded with its distribution's
name and error and left out; the other plugins keep working.

Hooks are called through pluggy (``pm.hook.<name>(...)``), so ``firstresult`` hooks stop at the
first answer.  Each implementation is registered wrapped: the wrapper turns an exception into
a recorded error and a ``None`` answer (so the other plugins still answer), and tags every
answer with the plugin that gave it, as ``(PluginRecord, answer)``.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import threading
import traceback
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pluggy

from ember.plugins import hookspecs

ENTRY_POINT_GROUP = "ember"
_log = logging.getLogger("ember.plugins")


@dataclass
class PluginRecord:
    """One entry point of the ``ember`` group and what became of it."""

    name: str
    distribution: str
    version: str
    target: str
    module: Any = None
    errors: list[str] = field(default_factory=list)

    @property
    def loaded(self) -> bool:
        return self.module is not None

    def label(self) -> str:
        return f"{self.distribution} {self.version} (entry point {self.name} = {self.target})"


class PluginManager:
    """The installed plugins of one process; ``plugin_manager()`` returns the shared one.

    ``PluginManager(group=None)`` finds no entry points: tests give it exactly the plugin
    modules they want with ``add_plugin`` and install it with ``using_plugins``.
    """

    def __init__(self, group: str | None = ENTRY_POINT_GROUP):
        self.group = group
        self._pluggy = pluggy.PluginManager(hookspecs.PROJECT)
        self._pluggy.add_hookspecs(hookspecs)
        self._records: list[PluginRecord] = []
        self._by_plugin_name: dict[str, PluginRecord] = {}
        self._loaded = False
        self._lock = threading.RLock()

    # -- loading ----------------------------------------------------------------------------
    def load(self) -> None:
        """Import every entry point of the group once (later calls do nothing)."""
        with self._lock:
            if self._loaded:
                return
            self._loaded = True
            for entry_point in _unique_entry_points(self.group) if self.group else []:
                self._load_one(entry_point)

    @property
    def loaded(self) -> bool:
        """Whether the entry points have been loaded (nothing loads them at ``import ember``)."""
        return self._loaded

    def add_plugin(
        self, module: Any, name: str, distribution: str = "(not installed)", version: str = "0"
    ) -> PluginRecord:
        """Register a plugin module directly, as a test of a not yet installed plugin does."""
        with self._lock:
            record = PluginRecord(
                name=name,
                distribution=distribution,
                version=version,
                target=getattr(module, "__name__", repr(module)),
            )
            self._records.append(record)
            self._register(record, lambda: module)
            return record

    def _load_one(self, entry_point: importlib.metadata.EntryPoint) -> None:
        dist = entry_point.dist
        record = PluginRecord(
            name=entry_point.name,
            distribution=dist.metadata["Name"] if dist else "(unknown distribution)",
            version=dist.version if dist else "?",
            target=entry_point.value,
        )
        self._records.append(record)
        self._register(record, entry_point.load)

    def _register(self, record: PluginRecord, load: Callable[[], Any]) -> None:
        try:
            module = load()
            plugin_name = f"{record.distribution}:{record.name}"
            self._pluggy.register(self._guarded(record, module), name=plugin_name)
        except Exception as error:  # noqa: BLE001 - any failure of a plugin is reported, not fatal
            self._fail(record, "failed to load", error)
            return
        record.module = module
        self._by_plugin_name[plugin_name] = record

    def _guarded(self, record: PluginRecord, module: Any) -> types.SimpleNamespace:
        """What pluggy registers for ``module``: each of its hook implementations wrapped so
        that it answers ``(record, answer)``, or None when it raised (recorded) or had nothing."""

        def guard(hook_name: str, function: Callable) -> Callable:
            @functools.wraps(function)  # keeps pluggy's marker and the argument names
            def call(*args: Any, **kwargs: Any) -> tuple[PluginRecord, Any] | None:
                try:
                    answer = function(*args, **kwargs)
                except Exception as error:  # noqa: BLE001 - a broken hook is reported, not fatal
                    self._fail(record, f"hook {hook_name} failed", error)
                    return None
                return None if answer is None else (record, answer)

            return call

        names = [name for name in dir(module) if self._pluggy.parse_hookimpl_opts(module, name)]
        return types.SimpleNamespace(**{name: guard(name, getattr(module, name)) for name in names})

    def _fail(self, record: PluginRecord, doing: str, error: BaseException) -> None:
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        record.errors.append(f"{doing}: {detail}")
        _log.warning("ember plugin %s %s: %s", record.label(), doing, detail)

    # -- asking -----------------------------------------------------------------------------
    def plugins(self) -> list[PluginRecord]:
        """Every entry point found, loaded or not, in discovery order."""
        self.load()
        return list(self._records)

    def implementations(self, hook_name: str, **kwargs: Any) -> list[tuple[PluginRecord, Any]]:
        """Call ``hook_name`` through pluggy; every plugin's non-None answer as (plugin, answer),
        in the order the plugins were registered.

        A plugin whose hook raises is recorded as broken for that hook and left out, so one
        bad plugin never hides the others' answers.
        """
        self.load()
        return list(reversed(getattr(self._pluggy.hook, hook_name)(**kwargs)))  # pluggy: last first

    def first(self, hook_name: str, **kwargs: Any) -> tuple[PluginRecord, Any] | None:
        """A ``firstresult`` hook's answer, as (plugin, answer); None when no plugin answered.

        pluggy asks the most recently registered plugin first and stops at the first answer.
        """
        self.load()
        return getattr(self._pluggy.hook, hook_name)(**kwargs)

    def report_broken(self, record: PluginRecord, hook_name: str, error: BaseException) -> None:
        """Record that ``record``'s answer to ``hook_name`` was unusable (e.g. a wrong type)."""
        self._fail(record, f"hook {hook_name} returned something unusable", error)

    def implementers(self, hook_name: str) -> list[PluginRecord]:
        """The loaded plugins that implement ``hook_name`` (without calling it)."""
        self.load()
        hook = getattr(self._pluggy.hook, hook_name)
        return [self._by_plugin_name[impl.plugin_name] for impl in reversed(hook.get_hookimpls())]


def _unique_entry_points(group: str) -> list[importlib.metadata.EntryPoint]:
    """The group's entry points, once each even when a distribution is on the path twice."""
    seen: set[tuple[str, str]] = set()
    unique = []
    for entry_point in importlib.metadata.entry_points(group=group):
        dist_name = entry_point.dist.metadata["Name"] if entry_point.dist else ""
        key = (dist_name.lower(), entry_point.name)
        if key not in seen:
            seen.add(key)
            unique.append(entry_point)
    return unique


_shared: PluginManager | None = None
_shared_lock = threading.Lock()


def plugin_manager() -> PluginManager:
    """The process's plugin manager, created (not loaded) on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = PluginManager()
        return _shared


@contextmanager
def using_plugins(manager: PluginManager) -> Iterator[PluginManager]:
    """Make ``manager`` the process's plugin manager inside the ``with`` block (for tests)."""
    global _shared
    with _shared_lock:
        previous, _shared = _shared, manager
    try:
        yield manager
    finally:
        with _shared_lock:
            _shared = previous


def plugin_executor(master: str, conf) -> Any:
    """The executor a plugin provides for ``master``'s scheme, or None."""
    answer = plugin_manager().first("ember_executor", master=master, conf=conf)
    return None if answer is None else answer[1]


def plugin_checkpoint_store(uri: str, conf) -> Any:
    """The checkpoint store a plugin provides for ``uri``'s scheme, or None."""
    answer = plugin_manager().first("ember_checkpoint_store", uri=uri, conf=conf)
    return None if answer is None else answer[1]
