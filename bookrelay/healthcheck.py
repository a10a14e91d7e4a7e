"""The container's health check: ``python -m bookrelay.healthcheck`` asks ``/healthz`` on the port
``serve`` listens on, found the way ``serve`` finds it, so that changing the port cannot leave a
healthy server marked unhealthy.

It runs every 30 seconds inside the container, so it reads the port with the standard library and
PyYAML only (no import of the CLI, the web app or the store).
"""

from __future__ import annotations

import os
import sys
import urllib.request
from collections.abc import Mapping
from pathlib import Path

import yaml

DEFAULT_PORT = 8080


def serve_port(env: Mapping[str, str] | None = None) -> int:
    """The port ``serve`` listens on without ``--port``: $BOOKRELAY_PORT, else $PORT (the Audible
    auto-tracker's name), else ``global.server.port`` of the config file ($BOOKRELAY_CONFIG, else
    ./bookrelay.yaml), else 8080; the same order as the configuration loader's."""
    environ = os.environ if env is None else env
    for name in ("BOOKRELAY_PORT", "PORT"):
        if environ.get(name, "").strip():
            return int(environ[name])
    path = Path(environ.get("BOOKRELAY_CONFIG") or "bookrelay.yaml")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        port = data["global"]["server"]["port"]
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return DEFAULT_PORT
    return int(port) if isinstance(port, int) else DEFAULT_PORT


def main() -> int:
    """0 when ``/healthz`` answers 200 on the serve port, else 1 (Docker's HEALTHCHECK contract)."""
    url = f"http://127.0.0.1:{serve_port()}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=4) as answer:
            return 0 if answer.status == 200 else 1
    except OSError as exc:
        print(f"{url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
