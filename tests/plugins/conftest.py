"""Fixtures for plugin-system tests: a plugin manager holding exactly the given modules."""

from __future__ import annotations

import types

import pytest

from ember.pluginhost.manager import PluginManager, using_plugins


@pytest.fixture
def plugins():
    """``plugins(**modules)``: make a manager of exactly these plugin modules (by entry-point
    name) the process's own for the rest of the test."""
    active = []

    def install(**modules: types.ModuleType | object) -> PluginManager:
        manager = PluginManager(group=None)
        for name, module in modules.items():
            manager.add_plugin(module, name, distribution=f"test-{name}")
        context = using_plugins(manager)
        context.__enter__()
        active.append(context)
        return manager

    yield install
    for context in reversed(active):
        context.__exit__(None, None, None)


def plugin_module(name: str, **hooks) -> types.ModuleType:
    """A plugin module made of hook functions (marked with ``hookimpl``)."""
    from ember.plugins import hookimpl

    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        function.__name__ = hook_name
        setattr(module, hook_name, hookimpl(function))
    return module


@pytest.fixture
def make_plugin():
    return plugin_module
