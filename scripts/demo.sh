#!/usr/bin/env bash
# Set up, then run the pipeline on the bundled sample crawl into out/sample (report: out/sample/sets/*/report.html;
# dataset card and record of processing: out/sample/README.md, out/sample/record_of_processing.md).
# Run it again and nothing is reprocessed: the inputs are in the ledger.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/corpus run --output "${1:-out/sample}"
