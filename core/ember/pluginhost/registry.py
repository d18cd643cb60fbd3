"""What the installed plugins provide, by name: source kinds, sink kinds, connector APIs,
filesystems.  The engine reaches every connector through here.

``source_kind`` and ``sink_kind`` are the only doors between the DStream graph and the
plugins; when nothing installed provides a kind they raise ``MissingPluginError`` naming the
distribution to install.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from ember.pluginhost.manager import PluginRecord, plugin_manager
from ember.plugins import FileSystem, MissingPluginError, PluginError, SinkKind, SourceKind

#: which ember distribution ships each kind, so a missing one is named in the error
KNOWN_DISTRIBUTIONS = {
    "source": {
        "socket": "ember-socket",
        "text-files": "ember-files",
        "binary-files": "ember-files",
        "kafka": "ember-kafka",
        "flume": "ember-flume",
        "kinesis": "ember-kinesis",
        "mqtt": "ember-mqtt",
    },
    "sink": {"text-files": "ember-sink-files", "kafka": "ember-sink-kafka"},
    "connector": {
        "kafka": "ember-kafka",
        "flume": "ember-flume",
        "kinesis": "ember-kinesis",
        "mqtt": "ember-mqtt",
    },
    "filesystem": {"file": "ember-files", "s3": "ember-files"},
}

Descriptor = TypeVar("Descriptor", SourceKind, SinkKind, FileSystem)


def _named(
    hook_name: str, kind: type[Descriptor], key: Callable[[Descriptor], str]
) -> dict[str, tuple[PluginRecord, Descriptor]]:
    """Every descriptor the plugins return from ``hook_name``, by name; clashes are errors."""
    manager = plugin_manager()
    found: dict[str, tuple[PluginRecord, Descriptor]] = {}
    for record, descriptors in manager.implementations(hook_name):
        try:
            checked = [_checked(descriptor, kind) for descriptor in descriptors]
        except TypeError as error:
            manager.report_broken(record, hook_name, error)
            continue
        for descriptor in checked:
            name = key(descriptor)
            if name in found:
                other = found[name][0]
                raise PluginError(
                    f"Two plugins provide {kind.__name__} {name!r}: {other.distribution} and "
                    f"{record.distribution}; uninstall one of them"
                )
            found[name] = (record, descriptor)
    return found


def _checked(descriptor: Any, kind: type) -> Any:
    if not isinstance(descriptor, kind):
        raise TypeError(f"expected {kind.__name__} objects, got {descriptor!r}")
    return descriptor


def source_kinds() -> dict[str, tuple[PluginRecord, SourceKind]]:
    """Installed source kinds by name, each with the plugin providing it."""
    return _named("ember_source_kinds", SourceKind, lambda d: d.name)


def sink_kinds() -> dict[str, tuple[PluginRecord, SinkKind]]:
    """Installed sink kinds by name, each with the plugin providing it."""
    return _named("ember_sink_kinds", SinkKind, lambda d: d.name)


def filesystems() -> dict[str, tuple[PluginRecord, FileSystem]]:
    """Installed filesystem URL schemes, each with the plugin providing it."""
    return _named("ember_filesystems", FileSystem, lambda d: d.scheme)


def connector_apis() -> dict[str, tuple[PluginRecord, Any]]:
    """Installed connector APIs by module name (``kafka`` for ``ember.streaming.kafka``)."""
    found: dict[str, tuple[PluginRecord, Any]] = {}
    for record, apis in plugin_manager().implementations("ember_connector_apis"):
        for name, api in dict(apis).items():
            found.setdefault(name, (record, api))
    return found


def _missing(category: str, name: str, available: list[str], asked_by: str | None) -> MissingPluginError:
    what = {"source": "source kind", "sink": "sink kind", "connector": "the connector"}[category]
    return MissingPluginError(
        f"{what} {name!r}", KNOWN_DISTRIBUTIONS[category].get(name), available, asked_by
    )


def source_kind(kind: str) -> tuple[PluginRecord, SourceKind]:
    """The installed source kind ``kind`` with the plugin providing it."""
    kinds = source_kinds()
    if kind not in kinds:
        raise _missing("source", kind, list(kinds), _ASKED_BY.get(kind))
    return kinds[kind]


def sink_kind(kind: str) -> tuple[PluginRecord, SinkKind]:
    """The installed sink kind ``kind`` with the plugin providing it."""
    kinds = sink_kinds()
    if kind not in kinds:
        raise _missing("sink", kind, list(kinds), _ASKED_BY.get(f"sink:{kind}"))
    return kinds[kind]


def connector_api(name: str) -> Any:
    """The object behind ``ember.streaming.<name>`` (e.g. the one holding ``KafkaUtils``)."""
    apis = connector_apis()
    if name not in apis:
        raise _missing("connector", name, list(apis), f"ember.streaming.{name}")
    return apis[name][1]


def connector_exports(name: str) -> dict[str, Any]:
    """The public names of connector ``name``'s API, for the ``ember.streaming.<name>`` shims:
    its ``__all__`` when it has one, else every name not starting with ``_``."""
    api = connector_api(name)
    names = getattr(api, "__all__", None) or [n for n in dir(api) if not n.startswith("_")]
    return {n: getattr(api, n) for n in names}


def unknown_name(module: str) -> Callable[[str], Any]:
    """The ``__getattr__`` of an ``ember.streaming.<name>`` shim: type checkers cannot see the
    names the shim sets at import, and take each as Any through it (the connector's own package,
    ``ember_kafka``..., has their types); at run time an unknown name is an AttributeError."""

    def module_getattr(name: str) -> Any:
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return module_getattr


def open_filesystem(url: str, asked_by: str | None = None) -> Any:
    """The filesystem that serves ``url`` (a plain path is ``file``), opened on that URL."""
    scheme = urlsplit(url).scheme.lower() if "://" in url else "file"
    installed = filesystems()
    if scheme not in installed:
        available = ", ".join(f"{s}://" for s in sorted(installed)) or "none"
        raise MissingPluginError(
            f"the URL scheme '{scheme}://' of {url!r} (schemes available: {available}; add one "
            "with a plugin implementing the ember_filesystems hook, see docs/plugins.md)",
            KNOWN_DISTRIBUTIONS["filesystem"].get(scheme),
            None,
            asked_by,
        )
    return installed[scheme][1].open(url)


_ASKED_BY = {
    "socket": "StreamingContext.socketTextStream",
    "text-files": "StreamingContext.textFileStream",
    "binary-files": "StreamingContext.binaryRecordsStream",
    "sink:text-files": "DStream.saveAsTextFiles",
}
