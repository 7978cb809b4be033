#!/usr/bin/env bash
# Start PostgreSQL, Redis and NATS (JetStream) on their standard local ports when
# they do not answer yet, then wait until they do. Names what is still missing.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local name=$1 port=$2
  for _ in $(seq 1 60); do
    port_open "$port" && return 0
    sleep 0.5
  done
  echo "infra: $name does not answer on 127.0.0.1:$port" >&2
  return 1
}

if ! port_open 5432; then
  echo "infra: starting PostgreSQL"
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
  if [ -z "$version" ]; then
    echo "infra: PostgreSQL is not installed (run scripts/setup.sh)" >&2
    exit 1
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  conf=/etc/postgresql/$version/main/pg_hba.conf
  # Local development and tests connect as postgres over TCP without a password.
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$conf"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$conf"
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  fi
fi
wait_port PostgreSQL 5432

if ! port_open 6379; then
  echo "infra: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/lorastack.log
fi
wait_port Redis 6379

if ! port_open 4222; then
  echo "infra: starting NATS with JetStream"
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
fi
wait_port NATS 4222
