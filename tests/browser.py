"""Open a page in headless Chromium (Debian's `chromium` package, installed by .ci/run) and
ask the browser itself what it rendered, over the DevTools protocol: the layout boxes and
lengths of the report's SVG charts, and every URL the page tried to load (offline means
only file: and data: ones)."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1000")

MEASURE = """JSON.stringify({
  title: document.title,
  cards: Array.from(document.querySelectorAll('.card')).map(card => {
    const svg = card.querySelector('svg.chart');
    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    const line = svg && svg.querySelector('polyline.series');
    return {id: card.id, width: box.width, height: box.height,
            line: line ? line.getTotalLength() : 0,
            points: svg ? svg.querySelectorAll('circle').length : 0,
            target: svg ? svg.querySelectorAll('line.target').length : 0};
  }),
  tables: Array.from(document.querySelectorAll('table')).map(t => t.rows.length),
  scripts: document.scripts.length
})"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("Debian's chromium is not installed on this machine (.ci/run installs it)")
    return found


class _Page:
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        n = next(self.ids)
        self.ws.send(json.dumps({"id": n, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=60))
            if message.get("id") == n:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, event: str, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while not any(e.get("method") == event for e in self.events):
            self.events.append(json.loads(self.ws.recv(timeout=max(0.1, end - time.monotonic()))))


def measure_report(path: Path) -> dict[str, Any]:
    """Load `path` in headless Chromium; return what MEASURE reports plus `requests`: every
    URL the page asked for."""
    from websockets.sync.client import connect

    # Chromium's helper processes may still write to the profile as it shuts down
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen([chromium(), *FLAGS, f"--user-data-dir={profile}",
                                 "--remote-debugging-port=0", "about:blank"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            active = Path(profile) / "DevToolsActivePort"
            end = time.monotonic() + 60
            while not active.exists() or not active.read_text().strip():
                if time.monotonic() > end or proc.poll() is not None:
                    raise RuntimeError("Chromium did not open its DevTools port")
                time.sleep(0.1)
            port = active.read_text().split()[0]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as r:
                targets = json.load(r)
            ws_url = next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"]
            with connect(ws_url, max_size=None, open_timeout=30) as ws:
                page = _Page(ws)
                page.call("Network.enable")
                page.call("Page.enable")
                page.call("Page.navigate", url=path.resolve().as_uri())
                page.wait_for("Page.loadEventFired")
                result = page.call("Runtime.evaluate", expression=MEASURE, returnByValue=True)
            out = json.loads(result["result"]["value"])
            out["requests"] = [e["params"]["request"]["url"] for e in page.events
                               if e.get("method") == "Network.requestWillBeSent"]
            return out
        finally:
            os.killpg(proc.pid, signal.SIGTERM)  # the browser and its helpers
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=20)
