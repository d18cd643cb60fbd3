"""Plugins: hookspecs, the plugin manager, and the public author API."""
