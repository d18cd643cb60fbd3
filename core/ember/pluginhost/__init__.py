"""The plugin host: the engine's side of the plugin system.

It finds and loads the ``ember`` entry points (``manager``), answers what the installed
plugins provide by name or URL scheme (``registry``: source and sink kinds, filesystems,
connector APIs, executors, checkpoint stores), and serves ``python -m ember plugins`` and the
subcommands plugins add (``commands``).  It sits above the author API (``ember.plugins``) and
below the engine, which asks it; plugins themselves never import it.
"""

from ember.pluginhost.manager import (
    PluginManager,
    PluginRecord,
    plugin_checkpoint_store,
    plugin_executor,
    plugin_manager,
    using_plugins,
)
from ember.pluginhost.registry import open_filesystem
from ember.plugins.connect import install_filesystem_opener

install_filesystem_opener(open_filesystem)

__all__ = [
    "PluginManager",
    "PluginRecord",
    "plugin_checkpoint_store",
    "plugin_executor",
    "plugin_manager",
    "using_plugins",
]
