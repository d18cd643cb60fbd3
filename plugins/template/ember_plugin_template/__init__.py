"""ember-plugin-template: what users import, shaped like Spark's ``*Utils`` classes."""

from ember_plugin_template.jsonl import saveAsJsonLines
from ember_plugin_template.ticker import TickerUtils

__all__ = ["TickerUtils", "saveAsJsonLines"]
