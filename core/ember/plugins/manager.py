"""The plugin manager (being written: the plugins work replaces this module)."""


def plugin_executor(master, conf):
    """The executor a plugin provides for ``master``'s scheme, or None."""
    return None
