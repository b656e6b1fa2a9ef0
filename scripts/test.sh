#!/usr/bin/env bash
# Set up, then run the whole test suite (offline; real Spark in local mode).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python -m pytest "$@"
