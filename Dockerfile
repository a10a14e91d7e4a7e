# bookrelay: `serve` (API, web page, scheduler, real-time trigger) by default; with SYNC_INTERVAL=0 the
# same default command runs every configured job once and exits 0, or 1 when a run failed (a CronJob, as
# deploy/kubernetes/hardcover-sync/ does); `sync --all-users` or `run-once` work too. Runs as UID/GID 65532 on a read-only root file system: /data is the only
# place it writes (the SQLite store, the Fernet key file, temporary files).
#
#   docker build -t bookrelay .
#   docker run --read-only -v bookrelay-data:/data -p 8080:8080 -e BOOKRELAY_API_KEY=… bookrelay

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# -- build: install bookrelay and its dependencies into a virtual environment ---------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bookrelay ./bookrelay
# Byte-code is compiled here, because at run time the file system is read-only.
RUN python -m venv /opt/bookrelay \
 && /opt/bookrelay/bin/pip install --no-cache-dir . \
 && /opt/bookrelay/bin/python -m compileall -q /opt/bookrelay/lib

# -- run: the virtual environment, a non-root user and /data ----------------------------------------
FROM ${PYTHON_IMAGE} AS run
RUN groupadd --system --gid 65532 bookrelay \
 && useradd --system --uid 65532 --gid 65532 --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin bookrelay \
 && mkdir -p /data \
 && chown 65532:65532 /data \
 && chmod 0700 /data
COPY --from=build /opt/bookrelay /opt/bookrelay
# The working folder is / so that the defaults ./data/bookrelay.db and ./data/secret.key are in /data;
# HOME and TMPDIR point there too, since nothing else is writable.
ENV PATH=/opt/bookrelay/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/data \
    TMPDIR=/data \
    SQLITE_TMPDIR=/data
WORKDIR /
USER 65532:65532
VOLUME ["/data"]
EXPOSE 8080
# The port is global.server.port of the config file (8080 by default) or $BOOKRELAY_PORT; the health
# check finds it the same way, so changing it in either place keeps the container healthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-m", "bookrelay.healthcheck"]
ENTRYPOINT ["bookrelay"]
CMD ["serve", "--host", "0.0.0.0"]
