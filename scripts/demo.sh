#!/usr/bin/env bash
# One command for a fresh machine: set up, then run Ferry with the demo pipeline.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
. scripts/env.sh
exec pnpm demo
