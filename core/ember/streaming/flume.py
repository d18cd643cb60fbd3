"""PySpark's import path ``from ember.streaming.flume import FlumeUtils``: the API of the installed
flume connector, found through the ``ember_connector_apis`` hook.  Without one, importing this
module is an ImportError that names the distribution to install."""

from ember.pluginhost.registry import connector_exports, unknown_name

globals().update(connector_exports("flume"))
__getattr__ = unknown_name(__name__)
del connector_exports, unknown_name
