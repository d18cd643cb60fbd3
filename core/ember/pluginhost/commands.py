"""The plugin system on the command line: ``python -m ember plugins [--json]`` and the
subcommands that plugins add through the ``ember_cli_commands`` hook."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable
from typing import Any

from ember.pluginhost.manager import PluginManager, PluginRecord, plugin_manager
from ember.plugins import CliCommand, PluginError
from ember.plugins.errors import install_command

# what each declaring hook contributes to a plugin's "provides", and how to name an item
_DECLARED: dict[str, tuple[str, Callable[[Any], list[str]]]] = {
    "ember_source_kinds": ("sources", lambda kinds: [kind.name for kind in kinds]),
    "ember_sink_kinds": ("sinks", lambda kinds: [kind.name for kind in kinds]),
    "ember_filesystems": ("filesystems", lambda systems: [f"{fs.scheme}://" for fs in systems]),
    "ember_connector_apis": ("connectors", lambda apis: [f"ember.streaming.{n}" for n in dict(apis)]),
    "ember_cli_commands": ("commands", lambda commands: [command.name for command in commands]),
}
# hooks that choose by URL scheme: listed by whether a plugin implements them
_CHOOSING = {
    "ember_executor": ("executor", "for its master URL schemes"),
    "ember_checkpoint_store": ("checkpoint store", "for its URI schemes"),
}


def describe_plugins(manager: PluginManager | None = None) -> list[dict[str, Any]]:
    """Each installed plugin: distribution, version, entry point, what it provides, errors."""
    manager = manager or plugin_manager()
    provides: dict[int, dict[str, list[str]]] = {id(r): {} for r in manager.plugins()}
    for hook_name, (label, names_of) in _DECLARED.items():
        for record, answer in manager.implementations(hook_name):
            try:
                names = names_of(answer)
            except (AttributeError, TypeError) as error:
                manager.report_broken(record, hook_name, error)
                continue
            provides[id(record)].setdefault(label, []).extend(names)
    for hook_name, (label, when) in _CHOOSING.items():
        for record in manager.implementers(hook_name):
            provides[id(record)][label] = [when]
    return [
        {
            "name": r.name,
            "distribution": r.distribution,
            "version": r.version,
            "entry_point": r.target,
            "loaded": r.loaded,
            "provides": provides[id(r)],
            "errors": list(r.errors),
        }
        for r in sorted(manager.plugins(), key=lambda r: (r.distribution.lower(), r.name))
    ]


def format_plugins(plugins: list[dict[str, Any]]) -> str:
    """The plugin list for people."""
    if not plugins:
        return "No ember plugins are installed. Connectors come as separate distributions, e.g. " + "; ".join(
            install_command(name) for name in ("ember-socket", "ember-files", "ember-sink-files")
        )
    lines = []
    for plugin in plugins:
        lines.append(
            f"{plugin['distribution']} {plugin['version']}  "
            f"(entry point {plugin['name']} = {plugin['entry_point']})"
        )
        for label, names in plugin["provides"].items():
            lines.append(f"    {label}: {', '.join(names)}")
        for error in plugin["errors"]:
            lines.append(f"    ERROR {error}")
    return "\n".join(lines)


def plugins_command(argv: list[str]) -> int:
    """``python -m ember plugins [--json]``: what is installed, and what failed to load."""
    parser = argparse.ArgumentParser(
        prog="python -m ember plugins",
        description="List the installed ember plugins (entry-point group 'ember'), what each "
        "provides, and the error of any plugin that failed to load.",
    )
    parser.add_argument("--json", action="store_true", help="print the list as JSON")
    options = parser.parse_args(argv)
    plugins = describe_plugins()
    print(json.dumps(plugins, indent=2) if options.json else format_plugins(plugins))
    return 0


def plugin_subcommands(core_commands: Iterable[str]) -> dict[str, tuple[str, Callable[[list[str]], int]]]:
    """The subcommands plugins add, in ``ember.cli``'s form: name -> (help, handler(argv)).

    A name that is one of ``core_commands`` or that two plugins both add is a ``PluginError``
    naming both, never a command silently dropped.
    """
    owners = {name: "ember (the core)" for name in core_commands}
    found: dict[str, tuple[str, Callable[[list[str]], int]]] = {}
    manager = plugin_manager()
    for record, commands in manager.implementations("ember_cli_commands"):
        for command in commands:
            if not isinstance(command, CliCommand):
                manager.report_broken(
                    record, "ember_cli_commands", TypeError(f"expected CliCommand objects, got {command!r}")
                )
                continue
            if command.name in owners:
                raise PluginError(
                    f"Two providers of the command `python -m ember {command.name}`: "
                    f"{owners[command.name]} and {record.distribution}; uninstall "
                    "one of them or rename the plugin's command"
                )
            owners[command.name] = record.distribution
            found[command.name] = (f"{command.help} [{record.distribution}]", _handler(command, record))
    return found


def _handler(command: CliCommand, record: PluginRecord) -> Callable[[list[str]], int]:
    def run(argv: list[str]) -> int:
        parser = argparse.ArgumentParser(
            prog=f"python -m ember {command.name}", description=f"{command.help} (from {record.distribution})"
        )
        command.add_arguments(parser)
        return int(command.run(parser.parse_args(argv)) or 0)

    return run
