#!/usr/bin/env bash
# Makes sure NATS (with JetStream) and Redis answer on their default local ports, starting them
# with their data under .ferry/ when nothing answers. Used by the test command and CI.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="$ROOT/.ferry/servers"
mkdir -p "$DATA/nats" "$DATA/redis"
say() { printf '[servers] %s\n' "$*"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if port_open 6379; then say "redis answers on 127.0.0.1:6379"; else
  say "starting redis-server (append-only, data in .ferry/servers/redis)"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --dir "$DATA/redis" --appendonly yes \
    --logfile "$DATA/redis/redis.log"
fi
if port_open 4222; then say "nats answers on 127.0.0.1:4222"; else
  say "starting nats-server with JetStream (data in .ferry/servers/nats)"
  nohup nats-server -a 127.0.0.1 -p 4222 -js -sd "$DATA/nats" -l "$DATA/nats/nats.log" >/dev/null 2>&1 &
fi
for _ in $(seq 1 100); do
  if port_open 6379 && port_open 4222; then say "ready"; exit 0; fi
  sleep 0.1
done
say "redis or nats did not come up; see .ferry/servers/*/*.log"
exit 1
