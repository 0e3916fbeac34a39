"""A real local HTTP server that answers from a script, for transport-level unit tests.

Each test queues responses ``(status, headers, body)``; the server records
every request (method, path, headers, body).  Nothing of the platform's
behaviour is imitated here — only raw status codes and bodies.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Deque, Dict, List, Optional, Tuple, Union

Body = Union[bytes, str, Dict[str, Any], List[Any], None]


class Recorded:
    def __init__(self, method: str, path: str, headers: Dict[str, str], body: bytes) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class ScriptedServer:
    def __init__(self) -> None:
        self.queue: Deque[Tuple[int, Dict[str, str], Body]] = deque()
        self.default: Tuple[int, Dict[str, str], Body] = (
            200, {}, {"data": {}, "meta": {"request_id": "r"}})
        self.requests: List[Recorded] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                server.requests.append(Recorded(self.command, self.path,
                                                {k.lower(): v for k, v in self.headers.items()},
                                                raw))
                status, headers, body = server.queue.popleft() if server.queue else server.default
                if isinstance(body, (dict, list)):
                    payload = json.dumps(body).encode()
                    headers = {"Content-Type": "application/json", **headers}
                elif isinstance(body, str):
                    payload = body.encode()
                    headers = {"Content-Type": "text/plain; charset=utf-8", **headers}
                else:
                    payload = body or b""
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def add(self, status: int, body: Body = None, headers: Optional[Dict[str, str]] = None
            ) -> None:
        self.queue.append((status, headers or {}, body))

    def error(self, status: int, code: str, message: str = "m",
              details: Optional[Dict[str, Any]] = None,
              headers: Optional[Dict[str, str]] = None) -> None:
        self.add(status, {"error": {"code": code, "message": message, "details": details or {}},
                          "meta": {"request_id": "req-1"}}, headers)

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
