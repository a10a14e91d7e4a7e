"""The container's health check follows the port serve listens on (config file or $BOOKRELAY_PORT)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bookrelay import healthcheck
from bookrelay.cli.main import app


class _Healthz(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def health_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Healthz)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_the_health_check_asks_the_port_of_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, health_port: int
) -> None:
    path = tmp_path / "bookrelay.yaml"
    path.write_text(f"global:\n  server: {{host: 0.0.0.0, port: {health_port}}}\n", encoding="utf-8")
    monkeypatch.delenv("BOOKRELAY_PORT", raising=False)
    monkeypatch.setenv("BOOKRELAY_CONFIG", str(path))
    assert healthcheck.serve_port() == health_port
    assert healthcheck.main() == 0
    path.write_text("global:\n  server: {port: 1}\n", encoding="utf-8")  # nothing listens there
    assert healthcheck.main() == 1


def test_BOOKRELAY_PORT_wins_and_a_missing_file_means_8080(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, health_port: int
) -> None:
    monkeypatch.setenv("BOOKRELAY_CONFIG", str(tmp_path / "absent.yaml"))
    monkeypatch.delenv("BOOKRELAY_PORT", raising=False)
    assert healthcheck.serve_port() == healthcheck.DEFAULT_PORT
    monkeypatch.setenv("BOOKRELAY_PORT", str(health_port))
    assert healthcheck.main() == 0


def test_serve_listens_on_BOOKRELAY_PORT(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def fake_serve(config: object, host: object, port: object) -> None:
        seen.update(host=host, port=port)

    monkeypatch.setattr("bookrelay.cli.serve.serve_app", fake_serve)
    monkeypatch.setattr("bookrelay.cli.serve.sync_interval", lambda: None)
    monkeypatch.setenv("BOOKRELAY_PORT", "9123")
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 0, result.output
    assert seen == {"host": "0.0.0.0", "port": 9123}
