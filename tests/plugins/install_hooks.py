"""The package plugin of tests/packages_plugin_hooks.rs, through the Python
SDK. The install hooks record where they ran and what they got in the
package's folder (so the test sees the files moved with it) and in the
`marks` folder of its configuration; `hook-mode` in the package says how
they behave:

    ok           every hook succeeds; `install` writes `calibration`
    no_handlers  no hook handlers at all (the SDK answers for it)
    fail_install `install` raises
    hang_install `install` starts a child and never returns
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from switchboard_plugin import Plugin

mode = Path("hook-mode").read_text().strip()
plugin = Plugin()


def mark(name, event):
    record = {"cwd": os.getcwd(), "env": plugin.hook, "configuration": event["configuration"]}
    Path(f"{name}.json").write_text(json.dumps(record))
    marks = Path(event["configuration"]["marks"])
    with open(marks / "hooks.log", "a") as log:
        log.write(f"{name} {os.getcwd()}\n")


if mode != "no_handlers":
    @plugin.on("before_install")
    def before_install(event):
        mark("before_install", event)

    @plugin.on("install")
    def install(event):
        mark("install", event)
        if mode == "fail_install":
            raise RuntimeError("the station does not answer")
        if mode == "hang_install":
            child = subprocess.Popen(["sleep", "3600"])
            marks = Path(event["configuration"]["marks"])
            (marks / "pids").write_text(f"{os.getpid()} {child.pid}\n")
            time.sleep(3600)
        Path("calibration").write_text("offset 0.5\n")

    @plugin.on("after_install")
    def after_install(event):
        mark("after_install", event)


@plugin.request("read")
def read(payload):
    return {"temperature": 21.5}


print(f"hook mode {plugin.hook}", file=sys.stderr)
plugin.run()
