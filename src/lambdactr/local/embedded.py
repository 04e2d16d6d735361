"""The embedded DynamoDB: moto's server, answering over HTTP from a thread of this process."""

from __future__ import annotations

import socket
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer


class EmbeddedDynamoDB:
    """moto's DynamoDB, served over HTTP from a thread of this process."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8000) -> None:
        self._host = host
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("the embedded DynamoDB is not running")
        return f"http://{self._host}:{self._server.server_address[1]}"

    def start(self) -> str:
        """Bind (an OSError names the port in use), serve from a daemon thread, return the URL."""
        # Where moto's own ThreadedMotoServer takes them from; imported late, as moto is heavy.
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        class QuietRequestHandler(MotoRequestHandler):
            # One stderr line per DynamoDB call would bury the counter's own access log.
            def log_request(self, *args: object, **kwargs: object) -> None:
                pass

        # Bound here rather than by werkzeug, which answers a busy port with sys.exit().
        listener = socket.create_server((self._host, self._port), backlog=128)
        try:
            self._server = make_server(
                self._host,
                listener.getsockname()[1],
                DomainDispatcherApplication(create_backend_app),
                threaded=True,
                request_handler=QuietRequestHandler,
                fd=listener.fileno(),
            )
        finally:
            listener.close()
        server = self._server
        self._thread = threading.Thread(
            # A short poll keeps stop() quick: `lambdactr invoke` stops it after every call.
            target=lambda: server.serve_forever(poll_interval=0.05),
            name="embedded-dynamodb",
            daemon=True,
        )
        self._thread.start()
        return self.endpoint

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None
