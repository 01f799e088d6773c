# Source this file to put Node.js 24 and the pinned pnpm on PATH for this shell.
# It prefers a system Node >= 24; otherwise it uses the project-local toolchain that
# scripts/setup.sh installs under .ferry/toolchain (the system Node is left untouched).
FERRY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FERRY_TOOLCHAIN="$FERRY_ROOT/.ferry/toolchain"
if [ -x "$FERRY_TOOLCHAIN/node_modules/.bin/node" ]; then
  export PATH="$FERRY_TOOLCHAIN/node_modules/.bin:$PATH"
fi
export FERRY_ROOT
