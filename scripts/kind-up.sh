#!/usr/bin/env bash
# scripts/kind-up.sh — brings the platform up on a local kind (or k3d) cluster with Docker, and pushes a sample app.
# Usage: scripts/kind-up.sh [up|down]    (docs/kind.md explains each step; untested in the repo's CI, which has no Docker)
set -euo pipefail

PROVIDER="${PAAS_CLUSTER:-}"                 # kind | k3d (default: whichever is installed, kind first)
CLUSTER="${PAAS_CLUSTER_NAME:-paas}"
HTTP_PORT="${PAAS_KIND_HTTP_PORT:-8080}"     # the ingress on the host: http://<app>.localhost:8080/
SSH_PORT="${PAAS_KIND_SSH_PORT:-2222}"       # git push over SSH on the host
NAMESPACE=paas
REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATE_DIR="${XDG_STATE_HOME:-$HOME/.local/state}/paas-kind"  # the generated SSH key and the sample app's clone
EMAIL=dev@example.com
APP=hello

say() { printf -- '-----> %s\n' "$*"; }
die() { printf -- ' !     %s\n' "$*" >&2; exit 1; }

need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "$tool is required (see docs/kind.md)"
  done
}

pick_provider() {
  if [ -z "$PROVIDER" ]; then
    if command -v kind >/dev/null; then PROVIDER=kind; elif command -v k3d >/dev/null; then PROVIDER=k3d; else die "install kind or k3d"; fi
  fi
  case "$PROVIDER" in
    kind) REGISTRY_CONTAINER=kind-registry; REGISTRY="kind-registry:5000"; INGRESS_CLASS=nginx ;;
    k3d) REGISTRY_CONTAINER=k3d-paas-registry.localhost; REGISTRY="k3d-paas-registry.localhost:5000"; INGRESS_CLASS=traefik ;;
    *) die "PAAS_CLUSTER must be kind or k3d, not $PROVIDER" ;;
  esac
}

# kind: a plain-HTTP registry container on kind's network; nodes pull from it through containerd's hosts.toml.
kind_cluster() {
  if ! docker inspect "$REGISTRY_CONTAINER" >/dev/null 2>&1; then
    docker run -d --restart=always -p 127.0.0.1:5001:5000 --name "$REGISTRY_CONTAINER" registry:2 >/dev/null
  fi
  if ! kind get clusters | grep -x "$CLUSTER" >/dev/null; then
    kind create cluster --name "$CLUSTER" --wait 120s --config=- <<EOF
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
containerdConfigPatches:
  - |-
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = "/etc/containerd/certs.d"
nodes:
  - role: control-plane
    labels:
      ingress-ready: "true"
    extraPortMappings:
      - { containerPort: 80, hostPort: ${HTTP_PORT}, protocol: TCP }
      - { containerPort: 30022, hostPort: ${SSH_PORT}, protocol: TCP }
EOF
  fi
  if [ "$(docker inspect -f '{{json .NetworkSettings.Networks.kind}}' "$REGISTRY_CONTAINER")" = null ]; then
    docker network connect kind "$REGISTRY_CONTAINER"
  fi
  local node
  for node in $(kind get nodes --name "$CLUSTER"); do
    docker exec "$node" mkdir -p "/etc/containerd/certs.d/${REGISTRY}"
    printf '[host."http://%s"]\n' "$REGISTRY" | docker exec -i "$node" cp /dev/stdin "/etc/containerd/certs.d/${REGISTRY}/hosts.toml"
  done
  say "Installing ingress-nginx"
  kubectl apply -f https://raw.githubusercontent.com/kubernetes/ingress-nginx/controller-v1.11.3/deploy/static/provider/kind/deploy.yaml >/dev/null
  kubectl -n ingress-nginx rollout status deployment/ingress-nginx-controller --timeout=180s
}

# k3d: its own registry support; traefik is the ingress. The registry's host port is 5000 so that the name works
# the same inside the cluster network (Kaniko pushes there) and through the nodes' mirror (they pull there).
k3d_cluster() {
  if ! k3d registry list | grep -F "$REGISTRY_CONTAINER" >/dev/null; then
    k3d registry create paas-registry.localhost --port 127.0.0.1:5000
  fi
  if ! k3d cluster list | grep "^${CLUSTER} " >/dev/null; then
    k3d cluster create "$CLUSTER" --registry-use "$REGISTRY" \
      -p "${HTTP_PORT}:80@loadbalancer" -p "${SSH_PORT}:30022@server:0" --wait
  fi
}

build_images() {
  say "Building the platform and builder images"
  docker build -t paas:dev "$REPO_ROOT"
  docker build -t paas-builder:dev -f "$REPO_ROOT/builders/image/Dockerfile" "$REPO_ROOT"
  if [ "$PROVIDER" = kind ]; then
    kind load docker-image --name "$CLUSTER" paas:dev paas-builder:dev
  else
    k3d image import --cluster "$CLUSTER" paas:dev paas-builder:dev
  fi
}

# PostgreSQL and NATS with JetStream as single throwaway pods (no volumes): enough for a local try.
dev_services() {
  say "Starting PostgreSQL and NATS in namespace $NAMESPACE"
  kubectl create namespace "$NAMESPACE" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  kubectl -n "$NAMESPACE" apply -f "$REPO_ROOT/scripts/kind-dev-services.yaml" >/dev/null
  kubectl -n "$NAMESPACE" rollout status deployment/postgres --timeout=180s
  kubectl -n "$NAMESPACE" rollout status deployment/nats --timeout=180s
}

# Build pods may reach the local registry (a container on the docker network, 172.16.0.0/12) besides the internet:
# k3s enforces the chart's NetworkPolicies, and so does kindnet in recent kind releases.
BUILD_EGRESS='[{"to":[{"ipBlock":{"cidr":"0.0.0.0/0","except":["10.0.0.0/8","172.16.0.0/12","192.168.0.0/16","169.254.0.0/16"]}}],"ports":[{"port":443,"protocol":"TCP"},{"port":80,"protocol":"TCP"}]},{"to":[{"ipBlock":{"cidr":"172.16.0.0/12"}}],"ports":[{"port":5000,"protocol":"TCP"}]}]'

install_chart() {
  say "Installing the chart"
  helm upgrade --install paas "$REPO_ROOT/charts/paas" --namespace "$NAMESPACE" --wait --timeout 10m \
    --set image.repository=paas --set image.tag=dev --set builderImage=paas-builder:dev \
    --set registry.url="$REGISTRY" --set registry.insecure=true \
    --set baseDomain=localhost --set ingressClass="$INGRESS_CLASS" --set ingress.host=paas.localhost \
    --set ssh.service.type=NodePort --set ssh.service.nodePort=30022 --set persistence.size=1Gi \
    --set database.url="postgres://paas:paas@postgres.${NAMESPACE}.svc:5432/paas" \
    --set natsUrl="nats://nats.${NAMESPACE}.svc:4222" \
    --set-json "networkPolicy.buildEgress=$BUILD_EGRESS"
}

paas_cli() {
  kubectl -n "$NAMESPACE" exec -i deploy/paas-web -- node --import tsx cli/main.ts "$@"
}

create_user() {
  mkdir -p "$STATE_DIR"
  [ -f "$STATE_DIR/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "$EMAIL" -f "$STATE_DIR/id_ed25519"
  if ! paas_cli users | grep -F "$EMAIL" >/dev/null; then
    say "Creating $EMAIL (an admin) with the key $STATE_DIR/id_ed25519"
    paas_cli users:create "$EMAIL" --admin </dev/null # no password on stdin: one is generated and printed
    paas_cli keys:add "$EMAIL" <"$STATE_DIR/id_ed25519.pub"
  fi
  if ! paas_cli apps | grep -w "$APP" >/dev/null; then
    say "Creating the app $APP"
    paas_cli apps:create "$APP" --owner "$EMAIL"
  fi
}

push_sample() {
  say "Pushing test/fixtures/apps/node as $APP"
  local src="$STATE_DIR/$APP"
  rm -rf "$src" && cp -R "$REPO_ROOT/test/fixtures/apps/node" "$src"
  git -C "$src" init -q -b main
  git -C "$src" add -A
  git -C "$src" -c user.email="$EMAIL" -c user.name=dev commit -q -m "Sample app"
  GIT_SSH_COMMAND="ssh -i $STATE_DIR/id_ed25519 -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null" \
    git -C "$src" push "ssh://git@127.0.0.1:${SSH_PORT}/${APP}.git" main
}

check_app() {
  local url="http://${APP}.localhost:${HTTP_PORT}/" i
  for i in $(seq 1 30); do
    if curl -fsS "$url"; then say "$APP answers at $url"; return 0; fi
    say "waiting for $url ($i/30)"
    sleep 2
  done
  die "$APP did not answer at $url"
}

down() {
  pick_provider
  if [ "$PROVIDER" = kind ]; then
    kind delete cluster --name "$CLUSTER"
    if docker inspect "$REGISTRY_CONTAINER" >/dev/null 2>&1; then docker rm -f "$REGISTRY_CONTAINER" >/dev/null; fi
  else
    k3d cluster delete "$CLUSTER"
    if k3d registry list | grep -F "$REGISTRY_CONTAINER" >/dev/null; then k3d registry delete "$REGISTRY_CONTAINER"; fi
  fi
  rm -rf "$STATE_DIR"
}

up() {
  need docker kubectl helm git ssh ssh-keygen curl
  pick_provider
  need "$PROVIDER"
  say "Creating the $PROVIDER cluster $CLUSTER"
  if [ "$PROVIDER" = kind ]; then kind_cluster; else k3d_cluster; fi
  build_images
  dev_services
  install_chart
  create_user
  push_sample
  check_app
  say "Done. git remote: ssh://git@127.0.0.1:${SSH_PORT}/<app>.git (key: $STATE_DIR/id_ed25519); tear down with: $0 down"
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  *) die "usage: $0 [up|down]" ;;
esac
