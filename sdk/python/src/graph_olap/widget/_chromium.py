"""Headless Chromium driven over the DevTools protocol on a pipe (no extra packages).

Owns starting a system Chromium (Debian's ``chromium``) with a fresh profile, loading a page,
evaluating JavaScript in it and taking screenshots. Used to snapshot a graph view as PNG
(:meth:`graph_olap.widget.GraphView.save_png`), by the browser tests and by the benchmark.
It never downloads a browser: without one on ``PATH`` (or ``GRAPH_OLAP_CHROMIUM``) it raises
:class:`ChromiumNotFound`.

Example:
    Usage (needs Chromium; exercised by ``tests/unit/test_widget_browser.py``)::

        with Chromium() as browser:
            page = browser.open("file:///tmp/view.html", width=1000, height=700)
            page.wait_for("document.querySelector('[data-rendered]') !== null")
            open("view.png", "wb").write(page.screenshot())
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from typing import Any, Dict, List, Optional, cast

__all__ = ["Chromium", "ChromiumError", "ChromiumNotFound", "Page", "find_chromium"]

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--no-default-browser-check", "--disable-extensions", "--mute-audio",
    "--hide-scrollbars", "--enable-unsafe-swiftshader", "--use-angle=swiftshader",
    "--allow-file-access-from-files",
]


class ChromiumError(RuntimeError):
    """The browser failed, answered with an error, or a wait timed out.

    Example:
        >>> issubclass(ChromiumNotFound, ChromiumError)
        True
    """


class ChromiumNotFound(ChromiumError):
    """No Chromium executable was found.

    Example:
        >>> isinstance(ChromiumNotFound("no browser"), RuntimeError)
        True
    """


def find_chromium() -> Optional[str]:
    """Path of a Chromium executable: ``$GRAPH_OLAP_CHROMIUM``, else ``chromium`` and kin on PATH.

    Example:
        >>> path = find_chromium()   # None when no browser is installed
        >>> path is None or os.path.basename(path).startswith(("chrom", "google"))
        True
    """
    env = os.environ.get("GRAPH_OLAP_CHROMIUM")
    if env:
        return env if os.path.exists(env) else shutil.which(env)
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Chromium:
    """One headless browser process; use as a context manager.

    Args:
        executable: the browser (default :func:`find_chromium`).
        extra_flags: more command-line flags.

    Example:
        >>> try:
        ...     with Chromium() as browser:
        ...         ok = "Chrom" in browser.version       # e.g. HeadlessChrome/…
        ... except ChromiumNotFound:
        ...     ok = find_chromium() is None
        >>> ok
        True
    """

    def __init__(self, executable: Optional[str] = None, *, extra_flags: Optional[List[str]] = None,
                 timeout: float = 30.0) -> None:
        exe = executable or find_chromium()
        if not exe:
            raise ChromiumNotFound("no Chromium found (apt-get install chromium, or set GRAPH_OLAP_CHROMIUM)")
        self.timeout = timeout
        self._profile = tempfile.mkdtemp(prefix="graph-olap-chromium-")
        low_r, self._to_child = os.pipe()
        self._from_child, low_w = os.pipe()
        # Above fd 10, so moving them to 3 and 4 in the child cannot overwrite one another.
        to_child_r = fcntl.fcntl(low_r, fcntl.F_DUPFD_CLOEXEC, 10)
        from_child_w = fcntl.fcntl(low_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(low_r)
        os.close(low_w)
        args = [*FLAGS, f"--user-data-dir={self._profile}", "--remote-debugging-pipe",
                *(extra_flags or []), "about:blank"]
        def protocol_fds() -> None:
            # The protocol pipe is fds 3 (commands) and 4 (answers) in the browser. Every other
            # descriptor of this process is close-on-exec (PEP 446), so nothing else leaks.
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self._proc = subprocess.Popen([exe, *args], close_fds=False, preexec_fn=protocol_fds,
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE)
        os.close(to_child_r)
        os.close(from_child_w)
        self._next = 0
        self._lock = threading.Lock()
        self._answers: Dict[int, Dict[str, Any]] = {}
        self._cond = threading.Condition()
        self.events: List[Dict[str, Any]] = []
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._stderr: List[bytes] = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        self.version = self.call("Browser.getVersion").get("product", "")

    def _drain_stderr(self) -> None:
        assert self._proc.stderr is not None
        for line in self._proc.stderr:
            if len(self._stderr) < 200:
                self._stderr.append(line)

    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_child, 1 << 20)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cond:
                    self._closed = True
                    self._cond.notify_all()
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                with self._cond:
                    if "id" in msg:
                        self._answers[msg["id"]] = msg
                    else:
                        self.events.append(msg)
                        del self.events[:-500]
                    self._cond.notify_all()

    def call(self, method: str, params: Optional[Dict[str, Any]] = None, *,
             session: Optional[str] = None, timeout: Optional[float] = None) -> Dict[str, Any]:
        """Send one protocol command and wait for its answer's ``result``."""
        with self._lock:
            self._next += 1
            ident = self._next
            msg: Dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
            if session:
                msg["sessionId"] = session
            os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + (timeout or self.timeout)
        with self._cond:
            while ident not in self._answers:
                left = deadline - time.monotonic()
                if self._closed:
                    raise ChromiumError(f"browser exited during {method}: "
                                        + b"".join(self._stderr[-10:]).decode(errors="replace"))
                if left <= 0:
                    raise ChromiumError(f"{method} timed out")
                self._cond.wait(left)
            answer = self._answers.pop(ident)
        if "error" in answer:
            raise ChromiumError(f"{method}: {answer['error'].get('message')}")
        return cast(Dict[str, Any], answer.get("result", {}))

    def open(self, url: str, *, width: int = 1200, height: int = 800) -> Page:
        """A new tab of the given viewport size showing ``url`` (waits for the load event)."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        page.call("Page.enable")
        page.call("Runtime.enable")
        page.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        page.navigate(url)
        return page

    def close(self) -> None:
        """Close the browser and remove its profile."""
        if self._proc.poll() is None:
            try:
                self.call("Browser.close", timeout=5)
            except ChromiumError:
                pass
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self._profile, ignore_errors=True)

    @property
    def pid(self) -> int:
        """Process id of the browser (its renderer and GPU processes are its descendants)."""
        return self._proc.pid

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class Page:
    """One tab: evaluate JavaScript, wait for a condition, take screenshots.

    Example:
        >>> try:
        ...     with Chromium() as browser:
        ...         page = browser.open("data:text/html,<title>t</title>")
        ...         seen = page.evaluate("document.title"), page.errors()
        ... except ChromiumNotFound:
        ...     seen = ("t", [])
        >>> seen
        ('t', [])
    """

    def __init__(self, browser: Chromium, session: str) -> None:
        self.browser = browser
        self.session = session

    def call(self, method: str, params: Optional[Dict[str, Any]] = None, **kw: Any) -> Dict[str, Any]:
        """A protocol command in this tab's session."""
        return self.browser.call(method, params, session=self.session, **kw)

    def navigate(self, url: str, timeout: float = 60.0) -> None:
        """Load ``url`` and wait until ``document.readyState`` is complete."""
        self.call("Page.navigate", {"url": url})
        self.wait_for("document.readyState === 'complete'", timeout=timeout)

    def evaluate(self, expression: str, *, timeout: Optional[float] = None) -> Any:
        """Value of a JavaScript expression (promises are awaited); JS errors raise."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, timeout=timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise ChromiumError(f"JavaScript error: {text}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, *, timeout: float = 60.0, interval: float = 0.05) -> Any:
        """Poll until the expression is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise ChromiumError(f"timed out waiting for {expression!r}; page errors: {self.errors()}")
            time.sleep(interval)

    def errors(self) -> List[str]:
        """Uncaught exceptions and console errors seen in this tab."""
        out = []
        for ev in list(self.browser.events):
            if ev.get("sessionId") != self.session:
                continue
            if ev.get("method") == "Runtime.exceptionThrown":
                d = ev["params"]["exceptionDetails"]
                out.append(d.get("exception", {}).get("description") or d.get("text", ""))
            elif ev.get("method") == "Runtime.consoleAPICalled" and ev["params"].get("type") == "error":
                out.append(" ".join(str(a.get("value", a.get("description", "")))
                                    for a in ev["params"].get("args", [])))
        return out

    def screenshot(self, timeout: float = 120.0) -> bytes:
        """PNG of the viewport."""
        data = self.call("Page.captureScreenshot", {"format": "png"}, timeout=timeout)["data"]
        return base64.b64decode(data)
