#!/usr/bin/env bash
# One command for a fresh machine: set up, start the servers the tests use, run every test tier.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
. scripts/env.sh
bash scripts/servers.sh
pnpm test
