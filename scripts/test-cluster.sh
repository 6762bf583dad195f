#!/usr/bin/env bash
# scripts/test-cluster.sh — a real single-node Kubernetes 1.20.2 for the test suite, on this machine: etcd, the API
# server, the controller manager, the scheduler, the kubelet on the Docker Engine (scripts/docker-engine.sh), kube-proxy
# and a registry, plus the images the tests need (scripts/test-cluster/images.sh).
# Usage: scripts/test-cluster.sh up|down|env|status   (docs/test-cluster.md says why each flag is there)
#   up    builds once what is missing (cached in $PAAS_TEST_K8S_CACHE), starts everything, waits for a Ready node and a
#         probe pod that ran; a second `up` on the same machine reuses the cache
#   env   prints the `export` lines the tests read (PAAS_TEST_KUBECONFIG and the registry and image settings)
#   down  stops what `up` started (by PID), removes the pods' containers, kube-proxy's iptables chains, the kubelet's
#         mounts and the cluster's state (the cache stays), and the Engine if `up` started it
#   status exits 0 when a cluster is up with its node Ready
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${PAAS_TEST_K8S_CACHE:-/var/cache/paas-test-k8s}"
K8S_VERSION=1.20.2
K8S_SOURCE_VERSION="1.20.5+really1.20.2"
K8S_SOURCE_SHA256=b83c0780efb182d928dc63d46488a847f161f04e40a94b96bf5247dd671ecdfc
BIN="$CACHE/bin-$K8S_VERSION"
STATE="$CACHE/state" # the running cluster's files: certificates, tokens, etcd's data, the kubelet's root, pids, logs
HOST_ADDRESS=172.17.0.1 # docker0: where pods reach the host, and where the API server and the kubelet listen
REGISTRY="$HOST_ADDRESS:5001"
ETCD_PORT=32379
ETCD_PEER_PORT=32380
API_PORT=16443 # below Linux's ephemeral range (32768-60999), which the tests' own sockets use
NODE=node1
UP_DEADLINE_S=${PAAS_TEST_K8S_WAIT_S:-180}

say() { printf 'test-cluster: %s\n' "$*"; }
die() { printf 'test-cluster: %s\n' "$*" >&2; exit 1; }
kubectl_() { "$BIN/kubectl" --kubeconfig "$STATE/admin.kubeconfig" "$@"; }

need_packages() {
  local need=() cmd pkg
  for pair in etcd:etcd-server dockerd:docker.io docker-registry:docker-registry go:golang-go gcc:gcc \
    openssl:openssl debootstrap:debootstrap dpkg-source:dpkg-dev iptables:iptables conntrack:conntrack \
    socat:socat curl:curl ip:iproute2 flock:util-linux; do
    cmd=${pair%%:*}
    pkg=${pair#*:}
    command -v "$cmd" >/dev/null || need+=("$pkg")
  done
  if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

# Kubernetes 1.20.2 from Debian's source package (it ships vendor/), built with Debian's Go, once.
build_kubernetes() {
  local started=$SECONDS
  if [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/kubectl" ] && [ -x "$BIN/kubelet" ]; then return 0; fi
  local src="$CACHE/src"
  local tree="$src/kubernetes-$K8S_VERSION"
  [ -d "$tree" ] || tar -C "$src" -xzf "$src/kubernetes_$K8S_SOURCE_VERSION.orig.tar.gz"
  # A plain `go build` fails on this tree ("updates to go.mod needed"); make with the GOPATH link, as Debian does.
  mkdir -p "$tree/.go/src/k8s.io" "$CACHE/home"
  ln -sfn ../../.. "$tree/.go/src/k8s.io/kubernetes"
  say "building Kubernetes $K8S_VERSION from source (about 13 minutes on 2 cores with kubectl; log: $src/build.log)"
  # Niced: .ci/run compiles this beside the first tests, which must keep their pace.
  if ! (cd "$tree" && GOPATH="$tree/.go" CGO_ENABLED=0 HOME="$CACHE/home" GOCACHE="$CACHE/home/gocache" \
    nice -n 10 make WHAT="cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler cmd/kubelet cmd/kube-proxy cmd/kubectl" \
    >>"$src/build.log" 2>&1); then
    tail -n 30 "$src/build.log" >&2
    die "the Kubernetes build failed"
  fi
  mkdir -p "$BIN.partial"
  for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do
    cp "$tree/_output/bin/$b" "$BIN.partial/"
  done
  rm -rf "$BIN" && mv "$BIN.partial" "$BIN"
  say "Kubernetes $K8S_VERSION built ($((SECONDS - started)) s)"
}

# Debian's source package (34 MB), once; the images step takes pause.c from it too.
fetch_kubernetes_source() {
  local src="$CACHE/src"
  mkdir -p "$src"
  if [ ! -f "$src/kubernetes_$K8S_SOURCE_VERSION.orig.tar.gz" ]; then
    if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      cat >/etc/apt/sources.list.d/paas-test-cluster-src.sources <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
      apt-get update -qq
    fi
    # Any Debian revision: only the upstream tarball is used, and it is checked below.
    (cd "$src" && apt-get source --download-only kubernetes >/dev/null 2>&1) ||
      die "apt-get source kubernetes failed (needs a deb-src line for bookworm main; up writes /etc/apt/sources.list.d/paas-test-cluster-src.sources when there is none)"
    [ -f "$src/kubernetes_$K8S_SOURCE_VERSION.orig.tar.gz" ] ||
      die "Debian's kubernetes source is no longer $K8S_SOURCE_VERSION (found: $(ls "$src"/*.orig.tar.gz 2>/dev/null))"
    echo "$K8S_SOURCE_SHA256  $src/kubernetes_$K8S_SOURCE_VERSION.orig.tar.gz" | sha256sum -c --quiet ||
      die "kubernetes_$K8S_SOURCE_VERSION.orig.tar.gz is not the tarball this script was written for"
  fi
}

# An Engine started elsewhere (a distribution's docker.service) may lack what the cluster needs: say what to change.
engine_preflight() {
  ip -4 addr show docker0 2>/dev/null | grep -q "inet $HOST_ADDRESS/" ||
    die "docker0 does not have $HOST_ADDRESS (the cluster's addresses assume Docker's default bridge; ip is iproute2's)"
  local info
  info=$(docker info 2>/dev/null || true) # (not piped into grep -q: pipefail and SIGPIPE)
  grep -qx "  $REGISTRY" <<<"$info" ||
    die "the Docker Engine does not trust the plain-HTTP registry $REGISTRY: stop it and let scripts/docker-engine.sh start one, or add \"insecure-registries\": [\"$REGISTRY\"] to /etc/docker/daemon.json"
  local driver
  driver=$(docker info --format '{{.CgroupDriver}}' 2>/dev/null)
  [ "$driver" = cgroupfs ] || die "the Docker Engine's cgroup driver is '$driver'; the kubelet here uses cgroupfs"
}

registry_answers() { curl -fs -o /dev/null --max-time 2 "http://$REGISTRY/v2/"; }

start_registry() {
  if registry_answers; then return 0; fi
  mkdir -p "$CACHE/registry"
  cat >"$CACHE/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $CACHE/registry
  delete:
    enabled: true
http:
  addr: $REGISTRY
EOF
  start_daemon registry docker-registry serve "$CACHE/registry.yml"
  wait_for "the registry" registry_answers
}

# start_daemon NAME ARGV…: runs it in its own session, logs to $STATE/NAME.log, records its pid for `down`.
start_daemon() {
  local name=$1
  shift
  # 9>&-: not the lock's descriptor (lock below), which a daemon would otherwise hold for as long as it runs.
  setsid "$@" >>"$STATE/$name.log" 2>&1 </dev/null 9>&- &
  echo $! >"$STATE/$name.pid"
}

# wait_for WHAT CHECK…: polls CHECK under the `up` deadline; a daemon that died meanwhile ends the wait with its log.
wait_for() {
  local what=$1
  shift
  local until=$((SECONDS + UP_DEADLINE_S))
  until "$@" >/dev/null 2>&1; do
    local pidf
    for pidf in "$STATE"/*.pid; do
      [ -f "$pidf" ] || continue
      if ! kill -0 "$(cat "$pidf")" 2>/dev/null; then
        local name
        name=$(basename "$pidf" .pid)
        tail -n 30 "$STATE/$name.log" >&2 || true
        die "$name exited while waiting for $what"
      fi
    done
    [ $SECONDS -lt "$until" ] || die "$what not ready within ${UP_DEADLINE_S} s (logs in $STATE)"
    sleep 0.5 # a poll interval under the deadline above
  done
}

# A CA, the API server's serving certificate (the names pods and the host use), its client certificate for the
# kubelet, the service-account key pair, and static tokens: the admin (system:masters), the kubelet (system:nodes).
make_credentials() {
  local d="$STATE/pki"
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=paas-test-ca" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  cat >"$d/apiserver.ext" <<EOF
subjectAltName=IP:$HOST_ADDRESS,IP:127.0.0.1,IP:10.96.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage=serverAuth
EOF
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout "$d/apiserver.key" -out "$d/apiserver.csr" 2>/dev/null
  openssl x509 -req -in "$d/apiserver.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 30 \
    -extfile "$d/apiserver.ext" -out "$d/apiserver.crt" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >"$d/client.ext"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver-kubelet-client/O=system:masters" \
    -keyout "$d/kubelet-client.key" -out "$d/kubelet-client.csr" 2>/dev/null
  openssl x509 -req -in "$d/kubelet-client.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 30 \
    -extfile "$d/client.ext" -out "$d/kubelet-client.crt" 2>/dev/null
  openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
  openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
  local admin_token node_token
  admin_token=$(openssl rand -hex 24)
  node_token=$(openssl rand -hex 24)
  printf '%s,admin,admin,system:masters\n%s,system:node:%s,system:node:%s,system:nodes\n' \
    "$admin_token" "$node_token" "$NODE" "$NODE" >"$d/tokens.csv"
  chmod 0600 "$d"/*.key "$d/tokens.csv"
  kubeconfig "$STATE/admin.kubeconfig" admin "$admin_token"
  kubeconfig "$STATE/kubelet.kubeconfig" "system:node:$NODE" "$node_token"
}

kubeconfig() { # kubeconfig FILE USER TOKEN
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: paas-test
    cluster:
      server: https://$HOST_ADDRESS:$API_PORT
      certificate-authority: $STATE/pki/ca.crt
users:
  - name: $2
    user:
      token: $3
contexts:
  - name: paas-test
    context: {cluster: paas-test, user: $2}
current-context: paas-test
EOF
  chmod 0600 "$1"
}

api_answers() { kubectl_ get --raw /readyz; }

node_ready() {
  [ "$(kubectl_ get node "$NODE" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

default_service_account() { kubectl_ get serviceaccount default -n default; }

start_cluster() {
  local pki="$STATE/pki"
  start_daemon etcd etcd --name paas-test --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "paas-test=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls "http://127.0.0.1:$((ETCD_PORT + 2))"
  start_daemon kube-apiserver "$BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address="$HOST_ADDRESS" --advertise-address="$HOST_ADDRESS" --secure-port="$API_PORT" \
    --insecure-port=0 --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" --token-auth-file="$pki/tokens.csv" --authorization-mode=Node,RBAC \
    --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$pki/sa.pub" \
    --service-account-signing-key-file="$pki/sa.key" --service-cluster-ip-range=10.96.0.0/16 \
    --kubelet-preferred-address-types=InternalIP \
    --kubelet-client-certificate="$pki/kubelet-client.crt" --kubelet-client-key="$pki/kubelet-client.key" \
    --enable-admission-plugins=NodeRestriction --feature-gates=TTLAfterFinished=true
  wait_for "the API server" api_answers
  start_daemon kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig "$STATE/admin.kubeconfig" \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" --use-service-account-credentials=false \
    --leader-elect=false --controllers='*,-nodeipam' --secure-port=0 --port=0 --feature-gates=TTLAfterFinished=true
  start_daemon kube-scheduler "$BIN/kube-scheduler" --kubeconfig "$STATE/admin.kubeconfig" --leader-elect=false \
    --port=0 --secure-port=0
  cat >"$STATE/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $HOST_ADDRESS
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
cgroupDriver: cgroupfs
failSwapOn: false
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: AlwaysAllow}
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
maxPods: 60
serializeImagePulls: false
EOF
  start_daemon kubelet "$BIN/kubelet" --config="$STATE/kubelet.yaml" --kubeconfig="$STATE/kubelet.kubeconfig" \
    --container-runtime=docker --pod-infra-container-image="$PAUSE_IMAGE" --cgroups-per-qos=false \
    --enforce-node-allocatable="" --hostname-override="$NODE" --node-ip="$HOST_ADDRESS" --root-dir="$STATE/kubelet" \
    --feature-gates=TTLAfterFinished=true
  start_daemon kube-proxy "$BIN/kube-proxy" --kubeconfig="$STATE/admin.kubeconfig" --proxy-mode=iptables \
    --cluster-cidr=172.17.0.0/16 --conntrack-max-per-core=0 --hostname-override="$NODE" \
    --metrics-bind-address=127.0.0.1:10249 --healthz-bind-address=127.0.0.1:10256
  wait_for "node $NODE to be Ready" node_ready
  wait_for "the default service account" default_service_account
}

# The network rule, enforced: pods (on docker0) reach the host's docker0 address and each other (ClusterIPs are
# rewritten to pod addresses before forwarding), nothing else; without it an npm in a build could ask the internet.
# In DOCKER-USER, which FORWARD asks before Docker's ACCEPTs and which Docker never rewrites (it re-inserts its own chains above
# anything else in FORWARD whenever it makes a network, as the Docker-mode tests do).
EGRESS_RULE=(DOCKER-USER -i docker0 ! -d 172.17.0.0/16 -m comment --comment paas-test-cluster -j REJECT)
fence_pods() {
  iptables -C "${EGRESS_RULE[@]}" 2>/dev/null || iptables -I "${EGRESS_RULE[@]}" ||
    die "cannot add the pods' egress fence to iptables' DOCKER-USER chain (does the Engine manage iptables?)"
}
unfence_pods() {
  while iptables -D "${EGRESS_RULE[@]}" 2>/dev/null; do :; done
}

# A pod that runs to completion proves scheduling, the kubelet, the pause image, image pulls from the registry and
# the service-account token controller.
probe_pod() {
  local image="$REGISTRY/library/debian:bookworm-slim"
  kubectl_ apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: test-cluster-probe, namespace: default}
spec:
  restartPolicy: Never
  containers: [{name: probe, image: "$image", command: [/bin/sh, -c, "echo probe ran"]}]
EOF
  probe_done() { [ "$(kubectl_ get pod test-cluster-probe -n default -o 'jsonpath={.status.phase}')" = Succeeded ]; }
  wait_for "the probe pod" probe_done
  kubectl_ logs test-cluster-probe -n default | grep -qx 'probe ran' || die "the probe pod's log did not come back through the API server"
  kubectl_ delete pod test-cluster-probe -n default --wait=false >/dev/null
}

images() {
  # shellcheck source=scripts/test-cluster/images.sh
  source "$REPO_ROOT/scripts/test-cluster/images.sh"
  build_pause_image
  build_kaniko_image
  build_base_images
  build_builder_image
  build_platform_image
  write_images_env "$STATE/images.env"
}

running() { [ -f "$STATE/kube-apiserver.pid" ] && ours "$(cat "$STATE/kube-apiserver.pid")"; }

up() {
  local started=$SECONDS
  [ "$(id -u)" = 0 ] || die "run as root (the kubelet, kube-proxy and dockerd need it)"
  if running && node_ready; then
    # Still (re)build the images from this checkout: cached, they take seconds, and a changed builder is rebuilt.
    images
    say "already up (scripts/test-cluster.sh down stops it)"
    return 0
  fi
  down_quietly
  need_packages
  fetch_kubernetes_source
  # Only when none answers: docker-engine.sh's `up` forgets that it started an Engine when asked again.
  if ! docker info >/dev/null 2>&1; then
    "$REPO_ROOT/scripts/docker-engine.sh" up 9>&-
    touch "$CACHE/engine-started-by-cluster" # so that `down` stops this Engine, and no other
  fi
  engine_preflight
  mkdir -p "$STATE"
  start_registry
  # The images (debootstrap and downloads, mostly) beside the Kubernetes compile (CPU): on a fresh machine the two
  # overlap instead of adding up.
  (renice -n 10 -p "$BASHPID" >/dev/null && images) >"$STATE/images.log" 2>&1 9>&- &
  images_pid=$!
  # A failed compile (die) or a signal must not leave it running: the job and what it runs now.
  trap 'pkill -TERM -P "$images_pid" 2>/dev/null; kill "$images_pid" 2>/dev/null || true' EXIT INT TERM
  build_kubernetes
  if ! wait "$images_pid"; then
    tail -n 40 "$STATE/images.log" >&2
    die "the images failed (log: $STATE/images.log)"
  fi
  trap - EXIT INT TERM
  cat "$STATE/images.log"
  PAUSE_IMAGE=$(sed -n 's/^export PAAS_TEST_PAUSE_IMAGE=//p' "$STATE/images.env")
  local t=$SECONDS
  make_credentials
  fence_pods
  start_cluster
  probe_pod
  say "up: Kubernetes $K8S_VERSION ready ($((SECONDS - t)) s to a Ready node and a probe pod; $((SECONDS - started)) s in all)"
}

env_() {
  [ -f "$STATE/admin.kubeconfig" ] || die "not up (scripts/test-cluster.sh up)"
  printf 'export PAAS_TEST_KUBECONFIG=%q\n' "$STATE/admin.kubeconfig"
  printf 'export PAAS_TEST_HOST_ADDRESS=%q\n' "$HOST_ADDRESS"
  printf 'export PAAS_TEST_REGISTRY=%q\n' "$REGISTRY"
  printf 'export PAAS_TEST_REGISTRY_MIRROR=%q\n' "$REGISTRY"
  printf 'export PAAS_TEST_KUBECTL=%q\n' "$BIN/kubectl"
  cat "$STATE/images.env"
}

# ours PID: true when the process is one this script started (its command line names the cache), not a process that
# took a recorded PID after a reboot (the state folder is on disk and outlives one).
ours() { [ -n "$1" ] && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF "$CACHE"; }

stop_pid() { # stop_pid NAME: TERM, then KILL after 20 s
  local f="$STATE/$1.pid" pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    local until=$((SECONDS + 20))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $until ]; do sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

down_quietly() {
  [ -d "$STATE" ] || return 0
  # The kubelet first, so it restarts nothing; then the pods' containers (the dockershim labels them).
  stop_pid kubelet
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
    local ids
    ids=$(docker ps -aq --filter label=io.kubernetes.pod.name)
    [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
  fi
  stop_pid kube-proxy
  [ -x "$BIN/kube-proxy" ] && "$BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true
  unfence_pods
  for name in kube-scheduler kube-controller-manager kube-apiserver etcd; do stop_pid "$name"; done
  if [ -f "$STATE/registry.pid" ]; then
    stop_pid registry
    prune_registry
  fi
  # The kubelet's volume mounts (secrets, service-account tokens) under its root.
  if [ -d "$STATE/kubelet" ]; then
    { grep -o " $STATE/kubelet[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  fi
  rm -rf "$STATE"
}

down() {
  down_quietly
  # The Engine too, when this script's `up` started it (never one that was already running).
  if [ -f "$CACHE/engine-started-by-cluster" ]; then
    "$REPO_ROOT/scripts/docker-engine.sh" down
    rm -f "$CACHE/engine-started-by-cluster"
  fi
  say "down"
}

# What the tests pushed (apps' images and Kaniko's caches, under any name) goes at `down`, with the builder and platform
# images of other checkouts; the base images, Kaniko and the current builder and platform images stay. Run only on a
# registry this script stopped: the registry's garbage collection must not race a push.
prune_registry() {
  local repos="$CACHE/registry/docker/registry/v2/repositories" keep=" " repo tag
  [ -d "$repos" ] || return 0
  [ ! -f "$STATE/images.env" ] || keep=" $(sed -n 's/^export PAAS_TEST_[A-Z]*_IMAGE=//p' "$STATE/images.env" | tr '\n' ' ')"
  for repo in $(cd "$repos" && find . -type d -name _manifests -prune | sed 's|^\./||; s|/_manifests$||'); do
    case "$repo" in
      library/* | paas-test/kaniko | paas-test/app-*) continue ;;
      paas-test/builder | paas-test/paas)
        for tag in $(ls "$repos/$repo/_manifests/tags" 2>/dev/null); do
          case "$keep" in *" $REGISTRY/$repo:$tag "*) ;; *) rm -rf "${repos:?}/$repo/_manifests/tags/$tag" ;; esac
        done ;;
      *) rm -rf "${repos:?}/$repo" ;;
    esac
  done
  find "$repos" -mindepth 1 -type d -empty -delete # the folders above removed repositories
  docker-registry garbage-collect --delete-untagged "$CACHE/registry.yml" >>"$CACHE/registry-gc.log" 2>&1 ||
    say "the registry's garbage collection failed (log: $CACHE/registry-gc.log)"
}

# One `up` or `down` at a time on a machine: the cache and the cluster are the machine's, not a checkout's.
lock() {
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.lock"
  flock -w 5 9 || { say "waiting for another up or down to finish ($CACHE/.lock)"; flock 9; }
}

case "${1:-}" in
  up) lock && up ;;
  down) lock && down ;;
  env) env_ ;;
  status) running && node_ready ;; # exit 0 when a cluster is up and its node Ready
  *) echo "usage: $0 up|down|env|status" >&2; exit 2 ;;
esac
