"""The adapter side of a plugin: devices for the game's hardware bridge
(docs/plugins.md, "Plugins as hardware adapters").

    plugin = Plugin()
    station = plugin.adapter(types=[Path("station.yml").read_text()])
    station.device("roof", "weather_station", state={"temperature": 12.5})

    @station.command("set_interval")
    def set_interval(device, payload):     # payload already validated
        return {"interval_s": payload["interval_s"]}   # the changed state

    plugin.every(10, lambda: station.report("roof", {"temperature": 13.0}))
    plugin.run()

The bridge checks every command against the device type before the plugin
sees it; a handler's exception becomes the command's failure.
"""

from __future__ import annotations

from typing import Callable, Dict, Iterable, Optional

DEVICES = "adapter/devices"
CHANGES = "adapter/changes"
COMMAND = "adapter/command"


class Adapter:
    """The devices one plugin provides, their state, and their commands."""

    def __init__(self, plugin, types: Iterable[str] = ()):
        self.plugin = plugin
        self.types = list(types)
        self.devices: Dict[str, dict] = {}
        self._commands: Dict[str, Callable] = {}
        self._configure: Optional[Callable] = None
        plugin.advertise(DEVICES, latest=True, description="The devices this plugin provides")
        plugin.advertise(CHANGES, description="Changes of this plugin's devices")
        plugin.request(COMMAND, description="Commands and configuration for this plugin's devices")(
            self._on_request)

    def device(self, device_id: str, type_id: str, *, name: Optional[str] = None,
               manufacturer: str = "", model: str = "", state: Optional[dict] = None) -> None:
        """Adds (or replaces) a device and publishes the list; ``name`` is
        the one it is registered with."""
        self.devices[device_id] = {
            "id": device_id, "type": type_id, "manufacturer": manufacturer,
            "model": model, "state": dict(state or {}),
        }
        if name is not None:
            self.devices[device_id]["name"] = name
        self.publish_devices()

    def remove(self, device_id: str) -> None:
        """Drops a device (the bridge shows it offline) and publishes the list."""
        self.devices.pop(device_id, None)
        self.publish_devices()

    def publish_devices(self) -> None:
        self.plugin.publish(DEVICES, {"types": self.types, "devices": list(self.devices.values())})

    def report(self, device_id: str, changes: dict) -> None:
        """Publishes changed state fields of a device (and keeps them)."""
        self.devices[device_id]["state"].update(changes)
        self.plugin.publish(CHANGES, {"device": device_id, "changes": changes})

    def state(self, device_id: str) -> dict:
        return self.devices[device_id]["state"]

    def command(self, name: str) -> Callable:
        """Decorator: ``handler(device_id, payload)`` runs the command and
        returns the state fields it changed (or None)."""
        def register(handler):
            self._commands[name] = handler
            return handler
        return register

    def configure(self, handler: Callable) -> Callable:
        """Decorator: ``handler(device_id, config)`` applies a configuration."""
        self._configure = handler
        return handler

    def _on_request(self, request):
        if not isinstance(request, dict):
            raise ValueError("an adapter request is a JSON object")
        device = request.get("device")
        if device not in self.devices:
            raise KeyError(f"no device {device!r} here")
        op = request.get("op")
        if op == "configure":
            if self._configure is not None:
                self._configure(device, request.get("config") or {})
            return {}
        if op != "command":
            raise ValueError(f"unknown op {op!r} (expected command or configure)")
        name = request.get("command")
        handler = self._commands.get(name)
        if handler is None:
            raise KeyError(f"no command {name!r} here")
        changes = handler(device, request.get("payload") or {}) or {}
        self.devices[device]["state"].update(changes)
        return {"state": self.devices[device]["state"]}
