#!/usr/bin/env bash
# scripts/docker-engine.sh — starts (up) or stops (down) the Docker Engine the Docker-mode tests use; called by
# .ci/run. `up` is a no-op when an Engine already answers on the socket (it warns when that Engine lacks the runc
# wrapper on a host that needs it); `down` stops only a dockerd that the last `up` started (the marker file).
# docs/docker.md ("The test Engine") says why the runc wrapper is needed on this kind of machine.
set -euo pipefail

state_dir=/var/cache/paas-docker
wrapper=$state_dir/runc-clamp
pid_file=$state_dir/dockerd.pid
# Written by `up` only when it starts dockerd, removed by `down` and by an `up` that finds an Engine already there:
# so `down` never stops an Engine that this run did not start (a pid file alone outlives the run that wrote it).
marker=$state_dir/started-by-up
log_file=$state_dir/dockerd.log
socket=/var/run/docker.sock
deadline_s=${PAAS_DOCKER_ENGINE_WAIT_S:-60}
test_registry=${PAAS_TEST_REGISTRY:-172.17.0.1:5001}

answers() { # true when an Engine answers on the socket
  docker -H "unix://$socket" info >/dev/null 2>&1
}

# This machine refuses a negative oom_score_adj, and runc then fails ("can't get final child's PID from pipe").
# The wrapper rewrites a negative process.oomScoreAdj in the bundle's config.json to 0, then runs the real runc.
write_wrapper() {
  mkdir -p "$state_dir"
  cat >"$wrapper.tmp" <<'EOF'
#!/bin/sh
# runc wrapper (scripts/docker-engine.sh): this machine refuses a negative oom_score_adj; rewrite it to 0 in the
# bundle's config.json, then exec runc.
bundle=""
prev=""
for a in "$@"; do
  if [ "$prev" = "--bundle" ] || [ "$prev" = "-b" ]; then bundle="$a"; fi
  case "$a" in --bundle=*) bundle="${a#--bundle=}";; esac
  prev="$a"
done
if [ -n "$bundle" ] && [ -f "$bundle/config.json" ]; then
  sed -i -E 's/"oomScoreAdj": *-[0-9]+/"oomScoreAdj":0/' "$bundle/config.json"
fi
exec /usr/sbin/runc "$@"
EOF
  chmod 0755 "$wrapper.tmp"
  mv "$wrapper.tmp" "$wrapper"
}

# An Engine someone else started may lack the wrapper; on a host that refuses a negative oom_score_adj its
# containers then fail to start. The probe is a subshell writing its own oom_score_adj, as runc's child would.
warn_runtime() {
  local runtime
  runtime=$(docker -H "unix://$socket" info --format '{{.DefaultRuntime}}' 2>/dev/null || true)
  [ "$runtime" = runc-clamp ] && return 0
  if ! (echo -1 >/proc/self/oom_score_adj) 2>/dev/null; then
    echo "docker-engine: WARNING: the Engine on $socket runs containers with runtime '$runtime', not runc-clamp, and" >&2
    echo "docker-engine: WARNING: this host refuses a negative oom_score_adj: containers may fail with \"can't get final" >&2
    echo "docker-engine: WARNING: child's PID from pipe\". Stop that Engine and run '$0 up' to start one with the wrapper." >&2
  fi
}

up() {
  if answers; then
    rm -f "$marker" # not started by this `up`: `down` must leave it alone
    echo "docker-engine: an Engine already answers on $socket; leaving it alone"
    warn_runtime
    return 0
  fi
  command -v dockerd >/dev/null || { echo "docker-engine: dockerd not found (install Debian's docker.io)" >&2; return 1; }
  [ -x /usr/sbin/runc ] || { echo "docker-engine: /usr/sbin/runc not found (Debian's runc, a dependency of docker.io)" >&2; return 1; }
  write_wrapper
  # setsid: dockerd outlives this script (and .ci/run's phase), until `down`.
  # The test cluster's registry (scripts/test-cluster.sh) listens on the docker0 address, where pods (Kaniko) reach
  # it; plain HTTP, so the Engine that pulls app images from it is told so.
  setsid dockerd --add-runtime "runc-clamp=$wrapper" --default-runtime=runc-clamp --pidfile "$pid_file" \
    --insecure-registry "$test_registry" >>"$log_file" 2>&1 </dev/null &
  local started=$!
  local until=$((SECONDS + deadline_s))
  until answers; do
    if ! kill -0 "$started" 2>/dev/null; then
      echo "docker-engine: dockerd exited; the last lines of $log_file:" >&2
      tail -n 20 "$log_file" >&2
      return 1
    fi
    if [ $SECONDS -ge $until ]; then
      echo "docker-engine: no answer on $socket within ${deadline_s} s; see $log_file" >&2
      return 1
    fi
    sleep 0.2 # a poll interval under a deadline, not a wait for readiness
  done
  echo "$started" >"$marker"
  echo "docker-engine: dockerd $started answers on $socket (log: $log_file)"
}

down() {
  [ -f "$marker" ] || { echo "docker-engine: no dockerd started by the last 'up'; leaving the Engine alone"; return 0; }
  local pid
  pid=$(cat "$pid_file" 2>/dev/null || cat "$marker")
  # Only the dockerd this script started: the pid file is ours, and the process must still be a dockerd.
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
    kill -TERM "$pid"
    local until=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $until ]; do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then echo "docker-engine: dockerd $pid did not stop within 30 s" >&2; return 1; fi
    echo "docker-engine: dockerd $pid stopped"
  fi
  rm -f "$pid_file" "$marker"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
