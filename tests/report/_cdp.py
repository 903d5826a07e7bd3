"""A small Chrome DevTools Protocol client for the browser tests.

Headless Chromium lays a page out at least 500 px wide whatever
``--window-size`` says (and ``--screenshot`` then crops it), so a phone is
emulated the way DevTools does it: ``Emulation.setDeviceMetricsOverride`` over
the remote-debugging websocket. The same session records every request and
failed load, measures the laid-out page and asks which platform fonts drew a
node's text. tornado (a dependency of the Jupyter kernel) speaks websocket.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tornado.websocket import websocket_connect

PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--enable-logging=stderr", "--v=0", "--remote-debugging-port=0"]


@dataclass
class Visit:
    """What one page load showed."""

    screenshot: bytes = b""
    metrics: dict[str, Any] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    fonts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    log: str = ""


class _Session:
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        msg_id = next(self.ids)
        msg = {"id": msg_id, "method": method, "params": params}
        if self.session:
            msg["sessionId"] = self.session
        await self.ws.write_message(json.dumps(msg))
        while True:
            raw = await asyncio.wait_for(self.ws.read_message(), 60)
            if raw is None:
                raise RuntimeError(f"DevTools closed the connection during {method}")
            reply = json.loads(raw)
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    async def wait_for(self, method: str, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            raw = await asyncio.wait_for(self.ws.read_message(), max(0.1, end - time.monotonic()))
            if raw is None:
                raise RuntimeError(f"DevTools closed the connection waiting for {method}")
            self.events.append(json.loads(raw))


_MEASURE = """(async () => {
  await document.fonts.ready;
  const d = document.documentElement;
  // Each table's first heading, and whether its box scrolls sideways.
  const tables = [...document.querySelectorAll('.fc-table-wrap')].map(w => ({
    head: (w.querySelector('th') || {}).textContent || '', scrolls: w.scrollWidth > w.clientWidth + 1}));
  return JSON.stringify({innerWidth, scrollWidth: d.scrollWidth, scrollHeight: d.scrollHeight, tables,
    fonts: [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)});
})()"""


async def _visit(port_file: Path, url: str, font_selectors: list[str]) -> Visit:
    port, path = port_file.read_text().split()[:2]
    ws = await websocket_connect(f"ws://127.0.0.1:{port}{path}", max_message_size=64 << 20)
    s = _Session(ws)
    target = (await s.send("Target.createTarget", url="about:blank"))["targetId"]
    s.session = (await s.send("Target.attachToTarget", targetId=target, flatten=True))["sessionId"]
    for domain in ("Page", "Network", "DOM", "CSS", "Runtime"):
        await s.send(f"{domain}.enable")
    await s.send("Emulation.setDeviceMetricsOverride", **PHONE)
    await s.send("Page.navigate", url=url)
    await s.wait_for("Page.loadEventFired")
    visit = Visit()
    result = await s.send("Runtime.evaluate", expression=_MEASURE, awaitPromise=True,
                          returnByValue=True)
    visit.metrics = json.loads(result["result"]["value"])
    root = (await s.send("DOM.getDocument", depth=-1))["root"]["nodeId"]
    for selector in font_selectors:
        node = (await s.send("DOM.querySelector", nodeId=root, selector=selector))["nodeId"]
        if node:
            visit.fonts[selector] = (await s.send("CSS.getPlatformFontsForNode", nodeId=node))["fonts"]
    shot = await s.send("Page.captureScreenshot", format="png")
    visit.screenshot = base64.b64decode(shot["data"])
    visit.requests = [e["params"]["request"]["url"] for e in s.events
                      if e.get("method") == "Network.requestWillBeSent"]
    visit.failed = [e["params"] for e in s.events if e.get("method") == "Network.loadingFailed"]
    s.session = None
    await s.send("Browser.close")
    ws.close()
    return visit


def visit(chromium: Path, url: str, profile: Path, font_selectors: list[str] = ()) -> Visit:
    """Open ``url`` in headless Chromium as a 390 × 844 phone and report on it."""
    profile.mkdir(parents=True, exist_ok=True)
    port_file = profile / "DevToolsActivePort"
    port_file.unlink(missing_ok=True)  # a reused profile keeps the last run's port
    log_path = profile.parent / f"{profile.name}.log"
    # The log goes to a file: a pipe nobody reads while the page loads could fill and stall it.
    with open(log_path, "w") as log:
        proc = subprocess.Popen([str(chromium), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                stdout=subprocess.DEVNULL, stderr=log)
        try:
            end = time.monotonic() + 60
            while not (port_file.exists() and len(port_file.read_text().split()) >= 2):
                if proc.poll() is not None or time.monotonic() > end:
                    raise RuntimeError(f"chromium did not start: {log_path.read_text()[-2000:]}")
                time.sleep(0.05)
            result = asyncio.run(_visit(port_file, url, list(font_selectors)))
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    result.log = log_path.read_text()
    return result
