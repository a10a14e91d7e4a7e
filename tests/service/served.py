"""Serve an ASGI app with uvicorn on a free loopback port inside the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import uvicorn


@contextlib.asynccontextmanager
async def served(app: Any, **options: Any) -> AsyncIterator[str]:
    """Yield ``http://127.0.0.1:PORT`` while ``app`` is served there; stop the server afterwards.
    ``options`` go to ``uvicorn.Config`` (a ``log_config``, say)."""
    settings: dict[str, Any] = {"log_level": "warning", "lifespan": "off", "ws": "wsproto", **options}
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, **settings))
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:  # start-up is I/O on this loop: yield until it is done
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        async with asyncio.timeout(10):
            await task
