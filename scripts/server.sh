#!/bin/sh
# `npm run server`: builds dist/ and starts Grafana with the plugin and the mock exchange server through Docker Compose.
# It checks for `docker compose` first, so that a machine without Docker or without the Compose plugin gets a clear
# message (what to install, and the offline path that needs no Docker) instead of docker's own "unknown flag: --build".
# Exit codes: 0 as docker compose exits, 3 when Docker / Compose / a running Docker engine is missing.
set -eu

need() {
  cat >&2 <<MSG
npm run server: $1

It needs Docker with the Compose plugin (\`docker compose version\` must work) and a running Docker engine:
  https://docs.docker.com/engine/install/ and https://docs.docker.com/compose/install/linux/

Without Docker, the offline path still works (Node only):
  npm run mock-exchanges &                       # the mock exchange server on http://127.0.0.1:8788
  npm run --silent btc-flow -- metrics --asset BTC --timeframe 1d --from 2025-01-01 --base-url http://127.0.0.1:8788
and in a Grafana you run yourself, point the BTC Flow data source's "Exchange mirror URL" at the mock (README.md).
MSG
  exit 3
}

if ! command -v docker >/dev/null 2>&1; then
  need "the docker command was not found."
fi
if ! docker compose version >/dev/null 2>&1; then
  need "docker is installed, but its Compose plugin is not (\`docker compose version\` failed)."
fi
if ! docker info >/dev/null 2>&1; then
  need "the Docker engine is not running or not reachable (\`docker info\` failed)."
fi

npm run build
exec docker compose up --build "$@"
