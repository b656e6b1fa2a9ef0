#!/usr/bin/env bash
# Set up, then run the pipeline on the bundled sample crawl; output in out/sample (report: out/sample/report.html).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/corpus run --output "${1:-out/sample}" --overwrite
