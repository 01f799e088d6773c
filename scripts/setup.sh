#!/usr/bin/env bash
# Prepares a fresh machine for Ferry: Node.js 24 and pnpm (project-local, leaving the system
# Node alone), the Debian packages the tests and the demo use, and the workspace's dependencies.
# Safe to run again: each step checks first and does nothing when its part is already there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
NODE_VERSION="24"
PNPM_VERSION="12.4.2"
TOOLCHAIN="$ROOT/.ferry/toolchain"

say() { printf '[setup] %s\n' "$*"; }

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# 1. Debian packages: a real OCI registry, skopeo, git (smart HTTP via git http-backend),
#    htpasswd for basic auth and the NATS/Redis servers when they are absent.
need=()
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v git >/dev/null 2>&1 || need+=(git)
command -v htpasswd >/dev/null 2>&1 || need+=(apache2-utils)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v nats-server >/dev/null 2>&1 || need+=(nats-server)
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
# jq: the hand-made baseline of `pnpm bench promotion`.
command -v jq >/dev/null 2>&1 || need+=(jq)
# Chromium: the web UI's browser tests drive it with playwright-core (no browser download).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# zsh and fish: the CLI's completion tests run the scripts `ferry completion` prints.
command -v zsh >/dev/null 2>&1 || need+=(zsh)
command -v fish >/dev/null 2>&1 || need+=(fish)
# gpg and ssh-keygen: git-writer's commit signing tests.
command -v gpg >/dev/null 2>&1 || need+=(gnupg)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
# openssl: self-signed certificates for the TLS registry tests.
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ -x /usr/lib/git-core/git-http-backend ] || need+=(git)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian packages: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    say "missing: ${need[*]}; install them with: sudo apt-get install ${need[*]}"
    exit 1
  fi
fi

# 2. Node.js 24 and pnpm, project-local unless the system already has them.
SYS_NODE="$(command -v node || true)"
if [ -n "$SYS_NODE" ] && [ "$(node_major "$SYS_NODE")" -ge "$NODE_VERSION" ] && command -v pnpm >/dev/null 2>&1 \
   && [ "$(pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; then
  say "using system node $("$SYS_NODE" --version) and pnpm $PNPM_VERSION"
else
  if [ ! -x "$TOOLCHAIN/node_modules/.bin/node" ] || [ "$(node_major "$TOOLCHAIN/node_modules/.bin/node")" -lt "$NODE_VERSION" ] \
     || [ "$("$TOOLCHAIN/node_modules/.bin/pnpm" --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
    say "installing node@$NODE_VERSION and pnpm@$PNPM_VERSION under .ferry/toolchain"
    mkdir -p "$TOOLCHAIN"
    [ -f "$TOOLCHAIN/package.json" ] || echo '{"private":true}' > "$TOOLCHAIN/package.json"
    npm install --prefix "$TOOLCHAIN" --no-audit --no-fund --loglevel=error "node@$NODE_VERSION" "pnpm@$PNPM_VERSION" >/dev/null
  fi
  # shellcheck source=scripts/env.sh
  . "$ROOT/scripts/env.sh"
  say "using node $(node --version) and pnpm $(pnpm --version) from .ferry/toolchain"
fi

# 3. Workspace dependencies, exactly as locked.
say "installing workspace dependencies"
pnpm install --frozen-lockfile --reporter=append-only >/dev/null

# 4. The web UI, which the api serves at / (packages/web/dist is not committed).
say "building the web UI"
pnpm --filter @ferry/web build >/dev/null

# 5. The services' bundles (dist/services, not committed), for FERRY_BUNDLED=1 and the image's layout.
say "bundling the services"
pnpm build >/dev/null
say "ready"
