"""Write a Switchboard plugin in a few lines (docs/plugins.md).

    from switchboard_plugin import Plugin

    plugin = Plugin()                      # id from SWITCHBOARD_PLUGIN_ID
    @plugin.request("add")                 # advertises plugins/<id>/add
    def add(payload):
        return {"sum": payload["a"] + payload["b"]}
    plugin.run()                           # until the host closes

Requests are answered in the order they arrive; an exception in a handler
reaches the caller as a failed response with its message. ``plugin.log``
writes to stderr, which the host forwards to its log and ``plugins/logs``.
``plugin.every(seconds, fn)`` calls ``fn`` periodically from the same loop
(never during a handler). ``plugin.adapter(types)`` makes the plugin a
hardware adapter whose devices the game's hardware bridge lists and
commands (``switchboard_plugin.adapter``).
The frames are built and read by ``switchboard_client.wire``.
"""

from .adapter import Adapter
from .plugin import Periodic, Plugin, PluginError, RemoteFailure

__all__ = ["Adapter", "Periodic", "Plugin", "PluginError", "RemoteFailure"]
