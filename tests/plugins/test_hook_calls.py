"""Hooks are called through pluggy: firstresult hooks stop at the first answer, a raising hook
is recorded and the others still answer, and clashing commands are errors naming both."""

from __future__ import annotations

import pytest

from ember import cli
from ember.pluginhost import plugin_executor
from ember.pluginhost.commands import plugin_subcommands
from ember.plugins import CliCommand, PluginError


def test_a_firstresult_hook_stops_at_the_first_answer(plugins, make_plugin):
    asked = []

    def answering(name):
        def executor(master, conf):
            asked.append(name)
            return f"executor of {name}"

        return executor

    plugins(
        one=make_plugin("one", ember_executor=answering("one")),
        two=make_plugin("two", ember_executor=answering("two")),
    )
    answer = plugin_executor("grid://x", None)
    assert len(asked) == 1 and answer == f"executor of {asked[0]}"


def test_a_raising_firstresult_hook_is_recorded_and_the_next_plugin_answers(plugins, make_plugin):
    def broken(master, conf):
        raise RuntimeError("executor hook exploded")

    manager = plugins(
        good=make_plugin("good", ember_executor=lambda master, conf: "the good one"),
        broken=make_plugin("broken", ember_executor=broken),
    )
    assert plugin_executor("grid://x", None) == "the good one"
    errors = {record.distribution: record.errors for record in manager.plugins()}
    assert errors["test-good"] == []
    assert errors["test-broken"] == ["hook ember_executor failed: RuntimeError: executor hook exploded"]


def _command(name):
    return lambda: [CliCommand(name, f"the {name} command", lambda args: 0)]


def test_a_plugin_command_named_like_a_core_command_is_an_error_naming_both(plugins, make_plugin, capsys):
    plugins(clash=make_plugin("clash", ember_cli_commands=_command("checkpoint")))
    with pytest.raises(PluginError, match=r"`python -m ember checkpoint`: ember \(the core\) and test-clash"):
        plugin_subcommands(cli.COMMANDS)
    assert cli.main(["--help"]) == 2
    assert "ember (the core) and test-clash" in capsys.readouterr().err


def test_two_plugins_adding_one_command_is_an_error_naming_both(plugins, make_plugin):
    plugins(
        first=make_plugin("a", ember_cli_commands=_command("hello")),
        second=make_plugin("b", ember_cli_commands=_command("hello")),
    )
    with pytest.raises(PluginError, match="test-first and test-second|test-second and test-first"):
        plugin_subcommands(cli.COMMANDS)


def test_the_core_commands_are_run_plugins_and_checkpoint():
    assert list(cli.COMMANDS) == ["run", "plugins", "checkpoint"]
