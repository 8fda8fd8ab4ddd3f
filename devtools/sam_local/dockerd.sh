#!/usr/bin/env bash
# dockerd for `make sam-local`: `start` reuses a daemon that answers, else starts Debian's docker.io dockerd so that
# containers reach only this machine, and records its PID; `stop` stops only that PID (never a daemon it reused).
# Usage: dockerd.sh start|stop STATE_DIR
set -euo pipefail
action=$1
state=$2
pid_file=$state/dockerd.pid
mkdir -p "$state"

start() {
    if docker info >/dev/null 2>&1; then
        echo "== dockerd: reusing the daemon that answers on $(docker context inspect --format '{{.Endpoints.docker.Host}}' 2>/dev/null || echo the default socket)"
        return
    fi
    command -v dockerd >/dev/null || { echo "no dockerd: apt-get install docker.io (and debootstrap)" >&2; exit 1; }
    # No forwarding and no masquerading: a container's packets can reach this host's own addresses (the bridge
    # gateway) and nothing beyond it. Published ports stay on 127.0.0.1 (SAM's default) through docker-proxy.
    dockerd --ip-forward=false --ip-masq=false --ip=127.0.0.1 --data-root=/var/lib/docker \
        >"$state/dockerd.log" 2>&1 &
    echo $! >"$pid_file"
    for _ in $(seq 60); do
        docker info >/dev/null 2>&1 && break
        kill -0 "$(cat "$pid_file")" 2>/dev/null || { cat "$state/dockerd.log" >&2; echo "dockerd exited" >&2; exit 1; }
        sleep 0.5
    done
    docker info >/dev/null 2>&1 || { echo "dockerd did not answer within 30 s (see $state/dockerd.log)" >&2; exit 1; }
    # In case something turns forwarding on later: nothing from the bridge is routed anywhere but the bridge.
    iptables -C DOCKER-USER -i docker0 ! -o docker0 -j DROP 2>/dev/null ||
        iptables -I DOCKER-USER -i docker0 ! -o docker0 -j DROP
    echo "== dockerd started (PID $(cat "$pid_file"), log $state/dockerd.log)"
}

stop() {
    [ -f "$pid_file" ] || return 0
    pid=$(cat "$pid_file")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        echo "== dockerd (PID $pid) stopped"
    fi
    rm -f "$pid_file"
}

"$action"
