# shellcheck shell=bash
# scripts/test-cluster/images.sh — the images of the test cluster, sourced by scripts/test-cluster.sh: the pause image,
# the Kaniko image, the Debian stand-ins for the base images the injected Dockerfiles name (builders/dockerfiles.ts),
# the builder image and the platform image. No image registry is reachable from this kind of machine, so every image
# is made here, from Debian's packages, this machine's Node and the sources beside the repository, once: later runs
# compare cache keys and ask the registry, and take seconds.
#
# Needs these variables when sourced (set -euo pipefail friendly):
#   CACHE      the cache folder, e.g. /var/cache/paas-test-k8s
#   REGISTRY   host:port of the plain-HTTP registry (docker-registry) that the Engine trusts, e.g. 172.17.0.1:5001
#   REPO_ROOT  the checkout
# Optional: PAAS_TEST_THIRD_PARTY (default $REPO_ROOT/../shared/third_party, where the Kaniko source is),
#   PAAS_TEST_ROOTFS_CACHE and PAAS_TEST_DEBIAN_MIRROR (as test/buildah/rootfs.ts reads them).
#
# Functions, each printing one `test-cluster: <what> (<seconds> s)` line:
#   build_pause_image     sets PAUSE_IMAGE     (a local image in the Engine: the kubelet's --pod-infra-container-image)
#   build_kaniko_image    sets KANIKO_IMAGE    ($REGISTRY/paas-test/kaniko:1.9.2)
#   build_base_images     pushes $REGISTRY/library/{node:20-alpine,node:20-slim,python:3.12-slim,debian:bookworm-slim},
#                         the names Kaniko finds through --registry-mirror=$REGISTRY
#   build_builder_image   sets BUILDER_IMAGE   ($REGISTRY/paas-test/builder:<hash of the files it copies>)
#   build_platform_image  sets PLATFORM_IMAGE  ($REGISTRY/paas-test/paas:<hash of the working tree>)
#   write_images_env FILE writes the PAAS_TEST_*_IMAGE export lines
# The commands' output goes to $CACHE/logs/images-<what>.log; when one fails, its tail is printed and the function
# returns non-zero.

: "${CACHE:?CACHE must be set (the test cluster cache folder)}"
: "${REGISTRY:?REGISTRY must be set (host:port of the test registry)}"
: "${REPO_ROOT:?REPO_ROOT must be set (the checkout)}"

# The Kaniko source (shared/third_party/README.md: release v1.9.2, with vendor/) and its checksum.
images_kaniko_version=1.9.2
images_kaniko_sha256=fa02e7d565bb1eae63e9cd544bc035e400371c585d9d50c869023861e52df0e6
images_default_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# Bumped when what an image gets changes in a way no input shows (this file's recipes): forces a rebuild.
images_recipe=2

# --- helpers -----------------------------------------------------------------------------------------------------

# _images_run LOG CMD...: runs CMD (a command or a function of this file) with its output appended to LOG; on
# failure prints LOG's tail and returns CMD's status.
_images_run() {
  local log=$1 rc=0
  shift
  printf '+ %s\n' "$*" >>"$log"
  "$@" >>"$log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "test-cluster: '$*' failed ($rc); the last lines of $log:" >&2
    tail -n 40 "$log" >&2
  fi
  return "$rc"
}

# _images_log WHAT: starts (truncates) the log of one function and prints its path.
_images_log() {
  mkdir -p "$CACHE/logs"
  local log=$CACHE/logs/images-$1.log
  echo "# $(date -u +%FT%TZ) $1" >"$log"
  echo "$log"
}

# _images_fail LOG MESSAGE: reports a failure that is not a command's.
_images_fail() {
  echo "test-cluster: $2 (log: $1)" >&2
  return 1
}

_images_sha256() { sha256sum | cut -c1-64; }

# _images_need LOG COMMAND PACKAGE: fails with a clear message when COMMAND is not installed.
_images_need() {
  command -v "$2" >/dev/null || _images_fail "$1" "$2 not found: install Debian's $3"
}

# _images_manifest_digest REPO:TAG: prints the registry's digest of the image's manifest; fails when it has none.
# REPO is the path in the registry (no host); plain HTTP, like the Engine's --insecure-registry.
_images_manifest_digest() {
  local repo=${1%:*} tag=${1##*:} headers
  headers=$(curl -fsS --max-time 10 --head \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$REGISTRY/v2/$repo/manifests/$tag" 2>/dev/null) || return 1
  printf '%s\n' "$headers" | tr -d '\r' | awk 'tolower($1) == "docker-content-digest:" { print $2; found = 1 } END { exit !found }'
}

# _images_registry_has REPO:TAG: true when the registry has that tag.
_images_registry_has() { _images_manifest_digest "$1" >/dev/null; }

# _images_push LOG IMAGE: pushes IMAGE (a full $REGISTRY/... name) to the registry.
_images_push() { _images_run "$1" docker push "$2"; }

# _images_import DIR IMAGE CHANGE...: `docker import`s DIR's tree (numeric owners) as IMAGE with Dockerfile changes.
_images_import() {
  local dir=$1 image=$2 change
  shift 2
  local args=()
  for change in "$@"; do args+=(--change "$change"); done
  local - # pipefail for this function only: a failed tar must fail the import
  set -o pipefail
  tar -C "$dir" -c --numeric-owner . | docker import "${args[@]}" - "$image"
}

# _images_done WHAT START: the one line each function prints.
_images_done() { echo "test-cluster: $1 ($((SECONDS - $2)) s)"; }

# --- the pause image ---------------------------------------------------------------------------------------------

# build_pause_image: the kubelet's pod sandbox image, from the Kubernetes source's build/pause/linux/pause.c
# (gcc -Os -static, as its Makefile), imported into the Engine as a local image. Sets PAUSE_IMAGE.
build_pause_image() {
  local start=$SECONDS log dir=$CACHE/pause src key
  log=$(_images_log pause)
  _images_need "$log" gcc gcc || return
  PAUSE_IMAGE=paas-test/pause:3.4 # build/pause/Makefile's TAG in Kubernetes 1.20.2
  mkdir -p "$dir"
  # Always this one file from the orig tarball: on a fresh machine the source tree is being extracted meanwhile.
  src=$dir/pause.c
  if [ ! -f "$src" ]; then
    _images_run "$log" tar -xzf "$CACHE/src/kubernetes_1.20.5+really1.20.2.orig.tar.gz" -C "$dir" \
      --strip-components=4 kubernetes-1.20.2/build/pause/linux/pause.c || return
  fi
  key=$( { echo "recipe $images_recipe"; gcc --version | head -n 1; cat "$src"; } | _images_sha256)
  if [ "$(docker image inspect --format '{{index .Config.Labels "paas-test.key"}}' "$PAUSE_IMAGE" 2>/dev/null)" = "$key" ]; then
    _images_done "pause image $PAUSE_IMAGE, cached" "$start"
    return 0
  fi
  rm -rf "$dir/root"
  mkdir -p "$dir/root"
  _images_run "$log" gcc -Os -Wall -Werror -static -DVERSION=v3.4-paas-test -o "$dir/root/pause" "$src" || return
  _images_run "$log" _images_import "$dir/root" "$PAUSE_IMAGE" 'ENTRYPOINT ["/pause"]' "LABEL paas-test.key=$key" || return
  rm -rf "$dir/root"
  _images_done "pause image $PAUSE_IMAGE" "$start"
}

# --- the Kaniko image --------------------------------------------------------------------------------------------

# _images_build_kaniko LOG TARBALL BIN: compiles the executor (the README's build line, with the version in it as
# upstream's Makefile puts it) into BIN. Go's caches live under $CACHE, so a rebuild after a clean is quicker.
_images_build_kaniko() {
  local log=$1 tarball=$2 bin=$3 work=$CACHE/kaniko/src
  rm -rf "$work"
  mkdir -p "$work" "$CACHE/go/cache" "$CACHE/go/path" "$CACHE/home"
  _images_run "$log" tar -xJf "$tarball" -C "$work" || return
  (
    cd "$work/kaniko-$images_kaniko_version" &&
      _images_run "$log" env CGO_ENABLED=0 GOFLAGS=-mod=vendor GOPROXY=off GOCACHE="$CACHE/go/cache" \
        GOPATH="$CACHE/go/path" HOME="$CACHE/home" go build -o "$bin.partial" \
        -ldflags "-X github.com/GoogleContainerTools/kaniko/pkg/version.version=v$images_kaniko_version -w -s" \
        ./cmd/executor
  ) || return
  mv "$bin.partial" "$bin"
  rm -rf "$work"
}

# build_kaniko_image: Kaniko's executor, built from the source in shared/third_party once (cached under $CACHE),
# in an image laid out as upstream's (deploy/Dockerfile), with this machine's CA bundle; pushed to the registry.
# Sets KANIKO_IMAGE.
build_kaniko_image() {
  local start=$SECONDS log dir=$CACHE/kaniko third_party tarball sum bin root key
  log=$(_images_log kaniko)
  _images_need "$log" go golang-go || return
  KANIKO_IMAGE=$REGISTRY/paas-test/kaniko:$images_kaniko_version
  third_party=${PAAS_TEST_THIRD_PARTY:-$REPO_ROOT/../shared/third_party}
  tarball=$third_party/kaniko-$images_kaniko_version-src.tar.xz
  mkdir -p "$dir"
  bin=$dir/executor-$images_kaniko_version
  # The source is needed only to build: a checkout elsewhere than beside shared/ still uses the cached executor.
  if [ ! -f "$tarball" ] && [ ! -x "$bin" ]; then
    _images_fail "$log" "no Kaniko source at $tarball (set PAAS_TEST_THIRD_PARTY to shared/third_party)"
    return
  fi
  # The checksum is checked once per tarball (its size and time stamp are the memo's key), not on every run.
  local stamp=""
  [ ! -f "$tarball" ] || stamp=$(stat -c '%s %Y' "$tarball")
  if [ -n "$stamp" ] && [ "$(cat "$dir/tarball.checked" 2>/dev/null)" != "$stamp" ]; then
    sum=$(_images_sha256 <"$tarball")
    [ "$sum" = "$images_kaniko_sha256" ] || { _images_fail "$log" "$tarball has sha256 $sum, not $images_kaniko_sha256"; return; }
    rm -f "$bin" # a different tarball than the binary was built from
    echo "$stamp" >"$dir/tarball.checked"
  fi
  if [ ! -x "$bin" ]; then
    _images_build_kaniko "$log" "$tarball" "$bin" || return
  fi
  key=$( { echo "recipe $images_recipe"; _images_sha256 <"$bin"; _images_sha256 </etc/ssl/certs/ca-certificates.crt; } | _images_sha256)
  if [ "$(cat "$dir/image.key" 2>/dev/null)" = "$key" ] && _images_registry_has "paas-test/kaniko:$images_kaniko_version"; then
    _images_done "Kaniko image $KANIKO_IMAGE, cached" "$start"
    return 0
  fi
  root=$dir/root
  rm -rf "$root"
  mkdir -p "$root/kaniko/ssl/certs" "$root/kaniko/.docker" "$root/etc" "$root/workspace"
  cp "$bin" "$root/kaniko/executor"
  # This machine reaches registries through a TLS-intercepting proxy whose CA is in the host's bundle.
  cp /etc/ssl/certs/ca-certificates.crt "$root/kaniko/ssl/certs/ca-certificates.crt"
  echo '{}' >"$root/kaniko/.docker/config.json"
  chmod 0777 "$root/kaniko" # as upstream: a non-root run may write there
  cat >"$root/etc/nsswitch.conf" <<'EOF'
# Kaniko's files/nsswitch.conf: without it, lookups skip /etc/hosts (a pod's hostAliases).
passwd:         compat
group:          compat
shadow:         compat
gshadow:        files
hosts:          files dns
networks:       files
protocols:      db files
services:       db files
ethers:         db files
rpc:            db files
netgroup:       nis
EOF
  # Imported (not built) so the tree's modes stay as made; the settings are upstream's deploy/Dockerfile's.
  _images_run "$log" _images_import "$root" "$KANIKO_IMAGE" \
    'ENV HOME=/root USER=root PATH=/usr/local/bin:/kaniko SSL_CERT_DIR=/kaniko/ssl/certs DOCKER_CONFIG=/kaniko/.docker/' \
    'WORKDIR /workspace' 'ENTRYPOINT ["/kaniko/executor"]' || return
  _images_push "$log" "$KANIKO_IMAGE" || return
  echo "$key" >"$dir/image.key"
  rm -rf "$root"
  _images_done "Kaniko image $KANIKO_IMAGE" "$start"
}

# --- the base images ---------------------------------------------------------------------------------------------

# _images_rootfs LOG NAME PACKAGE...: prints the folder of a cached `debootstrap --variant=minbase bookworm` tree
# with the packages, making it the first time. Same cache, folder names and trimming as test/buildah/rootfs.ts
# (cachedRootfs), so the buildah and Docker tests and this script share one debootstrap per package set.
_images_rootfs() {
  local log=$1 name=$2
  shift 2
  local cache=${PAAS_TEST_ROOTFS_CACHE:-/var/cache/paas-test-rootfs}
  local mirror=${PAAS_TEST_DEBIAN_MIRROR:-http://deb.debian.org/debian}
  local sorted json key dir partial include=()
  # rootfs.ts's key: sha256 of JSON.stringify(['bookworm', 'minbase', include.sort()]), its first 10 hex digits.
  sorted=$(printf '%s\n' "$@" | LC_ALL=C sort)
  json=$(printf '%s\n' "$sorted" | awk 'BEGIN { ORS = "" } { printf "%s\"%s\"", (NR > 1 ? "," : ""), $0 }')
  key=$(printf '["bookworm","minbase",[%s]]' "$json" | _images_sha256 | cut -c1-10)
  dir=$cache/$name-bookworm-$key
  if [ ! -f "$dir/etc/debian_version" ]; then
    mkdir -p "$cache/debs"
    partial=$dir.partial-$$
    rm -rf "$partial"
    if [ $# -gt 0 ]; then include=("--include=$(printf '%s\n' "$sorted" | paste -sd,)"); fi
    if ! _images_run "$log" debootstrap --variant=minbase "${include[@]}" "--cache-dir=$cache/debs" bookworm "$partial" "$mirror" >&2; then
      rm -rf "$partial"
      return 1
    fi
    local sub
    for sub in usr/share/doc usr/share/man usr/share/info var/lib/apt/lists var/cache/apt var/cache/debconf; do
      rm -rf "${partial:?}/$sub"
    done
    # -T: if the buildah tests (test/buildah/rootfs.ts, same cache and keys) finished the same tree meanwhile, the
    # move fails rather than putting this copy inside theirs.
    if [ -f "$dir/etc/debian_version" ]; then rm -rf "$partial"; else mv -T "$partial" "$dir" 2>/dev/null || rm -rf "$partial"; fi
  fi
  echo "$dir"
}

# _images_customize ROOT: the edits every base image gets (as test/buildah/images.ts customizeRoot): the host's CA
# bundle (the TLS-intercepting proxy's CA, so apt/pip/npm inside builds reach the registries as the host does), an
# apt source (the platform's Dockerfile runs apt-get), and the `app` user (10001) the injected Dockerfiles name.
_images_customize() {
  local root=$1 mirror=${PAAS_TEST_DEBIAN_MIRROR:-http://deb.debian.org/debian}
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  if [ ! -s "$root/etc/apt/sources.list" ] && [ -z "$(ls -A "$root/etc/apt/sources.list.d" 2>/dev/null)" ]; then
    echo "deb $mirror bookworm main" >"$root/etc/apt/sources.list"
  fi
  echo 'app:x:10001:10001::/home/app:/bin/sh' >>"$root/etc/passwd"
  echo 'app:x:10001:' >>"$root/etc/group"
  mkdir -p "$root/home/app"
  chown 10001:10001 "$root/home/app"
}

# _images_add_node ROOT: this machine's Node 20 and its npm (Debian's nodejs is 18), in /usr/local as the official
# node images have them, the shared libraries node needs (checked with ldd), and the `node` user (1000).
_images_add_node() {
  local root=$1 node npm_dir lib
  node=$(readlink -f "$(command -v node)")
  npm_dir=$(readlink -f "$(dirname "$node")/../lib/node_modules/npm")
  [ -f "$npm_dir/bin/npm-cli.js" ] || { echo "no npm beside $node (looked in $npm_dir)" >&2; return 1; }
  mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules" "$root/usr/local/etc"
  install -m 0755 "$node" "$root/usr/local/bin/node"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  ln -sfn ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sfn ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  # npm does not read the system CA bundle by itself; the host's npm is told to, and so is the image's.
  echo 'cafile=/etc/ssl/certs/ca-certificates.crt' >"$root/usr/local/etc/npmrc"
  # The libraries node links (libstdc++, libgcc_s…): minbase has them (apt needs them); any it lacks is copied.
  for lib in $(ldd "$node" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
    if [ ! -e "$root$lib" ] && [ ! -e "$root/usr$lib" ]; then
      echo "copying $lib (node needs it; the rootfs lacks it)"
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    fi
  done
  echo 'node:x:1000:1000::/home/node:/bin/bash' >>"$root/etc/passwd"
  echo 'node:x:1000:' >>"$root/etc/group"
  mkdir -p "$root/home/node"
  chown 1000:1000 "$root/home/node"
}

# _images_base_image LOG KIND ROOTFS TAG...: makes one base image from ROOTFS (customized; KIND node adds Node) and
# pushes it as each $REGISTRY/library/TAG, unless the registry has every tag and the key of its inputs is unchanged.
_images_base_image() {
  local log=$1 kind=$2 rootfs=$3
  shift 3
  local key_file=$CACHE/images/$kind.key key work tag cached=1 changes=()
  key=$(
    echo "recipe $images_recipe $kind $(basename "$rootfs")"
    _images_sha256 </etc/ssl/certs/ca-certificates.crt
    if [ "$kind" = node ]; then _images_sha256 <"$(readlink -f "$(command -v node)")"; npm --version; fi
  )
  key=$(printf '%s\n' "$key" | _images_sha256)
  [ "$(cat "$key_file" 2>/dev/null)" = "$key" ] || cached=0
  for tag in "$@"; do _images_registry_has "library/$tag" || cached=0; done
  if [ "$cached" = 1 ]; then
    echo "$kind: cached" >>"$log"
    return 0
  fi
  work=$CACHE/images/work-$kind
  rm -rf "$work"
  mkdir -p "$work"
  _images_run "$log" cp -a "$rootfs/." "$work/" || return
  _images_run "$log" _images_customize "$work" || return
  local cmd='["bash"]'
  changes=("ENV PATH=$images_default_path")
  case "$kind" in
    node)
      _images_run "$log" _images_add_node "$work" || return
      cmd='["node"]'
      ;;
    python)
      changes+=('ENV LANG=C.UTF-8')
      cmd='["python3"]'
      ;;
  esac
  changes+=("CMD $cmd")
  _images_run "$log" _images_import "$work" "$REGISTRY/library/$1" "${changes[@]}" || return
  for tag in "$@"; do
    [ "$tag" = "$1" ] || _images_run "$log" docker tag "$REGISTRY/library/$1" "$REGISTRY/library/$tag" || return
    _images_push "$log" "$REGISTRY/library/$tag" || return
  done
  echo "$key" >"$key_file"
  rm -rf "$work"
  echo "$kind: built and pushed $*" >>"$log"
  images_base_built=$((images_base_built + 1))
}

# build_base_images: the Debian stand-ins for the official base images, under their Docker Hub names in the
# registry (library/...), so Kaniko given --registry-mirror=$REGISTRY finds them and the templates stay as users get
# them. node:20-alpine is a Debian tree too (nothing in the templates needs apk).
build_base_images() {
  local start=$SECONDS log base python
  log=$(_images_log base)
  _images_need "$log" debootstrap debootstrap || return
  _images_need "$log" node 'nodejs (Node 20, as the project needs)' || return
  mkdir -p "$CACHE/images"
  base=$(_images_rootfs "$log" base ca-certificates) || return
  python=$(_images_rootfs "$log" python ca-certificates python3-venv python-is-python3) || return
  images_base_built=0
  _images_base_image "$log" debian "$base" debian:bookworm-slim || return
  _images_base_image "$log" node "$base" node:20-slim node:20-alpine || return
  _images_base_image "$log" python "$python" python:3.12-slim || return
  local what='base images (library/node:20-slim, node:20-alpine, python:3.12-slim, debian:bookworm-slim)'
  if [ "$images_base_built" -gt 0 ]; then _images_done "$what" "$start"; else _images_done "$what, cached" "$start"; fi
}

# --- the builder and platform images -----------------------------------------------------------------------------

# _images_copied_files DOCKERFILE: the sources of its COPY lines from the build context (not --from a stage), one a line.
_images_copied_files() {
  sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta' "$1" |
    awk 'toupper($1) == "COPY" {
      n = 0
      for (i = 2; i <= NF; i++) { if ($i ~ /^--from=/) next; if ($i !~ /^--/) args[++n] = $i }
      for (i = 1; i < n; i++) print args[i]
    }'
}

# _images_base_digest: the registry's digest of the node base image the builder and platform images build FROM.
_images_base_digest() {
  _images_manifest_digest library/node:20-slim ||
    { echo "test-cluster: no library/node:20-slim in the registry at http://$REGISTRY (not answering, or build_base_images not run)" >&2; return 1; }
}

# _images_docker_build LOG DOCKERFILE IMAGE: builds IMAGE from the repository root with the registry's node base, on
# the host's network (npm ci and apt-get reach the registries as the host does), then pushes it.
_images_docker_build() {
  local log=$1 dockerfile=$2 image=$3
  _images_run "$log" docker build --network host --build-arg "BASE_IMAGE=$REGISTRY/library/node:20-slim" \
    -f "$REPO_ROOT/$dockerfile" -t "$image" "$REPO_ROOT" || return
  _images_push "$log" "$image"
}

# build_builder_image: the builder image (builders/image/Dockerfile), tagged by a hash of the Dockerfile, the
# files it copies and its base, so a change to any rebuilds it. Sets BUILDER_IMAGE.
build_builder_image() {
  local start=$SECONDS log digest hash file
  log=$(_images_log builder)
  digest=$(_images_base_digest) || return
  hash=$(
    cd "$REPO_ROOT" || exit 1
    echo "$digest"
    _images_sha256 <builders/image/Dockerfile
    for file in $(_images_copied_files builders/image/Dockerfile); do
      [ -f "$file" ] || { echo "test-cluster: builders/image/Dockerfile copies $file, which is not a file" >&2; exit 1; }
      echo "$file $(_images_sha256 <"$file")"
    done
  ) || return
  hash=$(printf '%s\n' "$hash" | _images_sha256 | cut -c1-16)
  BUILDER_IMAGE=$REGISTRY/paas-test/builder:$hash
  if _images_registry_has "paas-test/builder:$hash"; then
    _images_done "builder image $BUILDER_IMAGE, cached" "$start"
    return 0
  fi
  _images_docker_build "$log" builders/image/Dockerfile "$BUILDER_IMAGE" || return
  _images_done "builder image $BUILDER_IMAGE" "$start"
}

# _images_worktree_hash: the git tree of HEAD, or when the checkout is dirty, the tree of the working state
# (tracked changes and untracked files that .gitignore does not exclude), through a throwaway index.
_images_worktree_hash() {
  if [ -z "$(git -C "$REPO_ROOT" status --porcelain)" ]; then
    git -C "$REPO_ROOT" rev-parse 'HEAD^{tree}'
    return
  fi
  local index rc=0
  index=$(mktemp)
  cp "$(git -C "$REPO_ROOT" rev-parse --path-format=absolute --git-path index)" "$index"
  GIT_INDEX_FILE=$index git -C "$REPO_ROOT" add -A >/dev/null && GIT_INDEX_FILE=$index git -C "$REPO_ROOT" write-tree || rc=$?
  rm -f "$index"
  return "$rc"
}

# build_platform_image: the platform image (the root Dockerfile), tagged by a hash of the working tree and its base.
# Sets PLATFORM_IMAGE.
build_platform_image() {
  local start=$SECONDS log digest tree hash
  log=$(_images_log platform)
  digest=$(_images_base_digest) || return
  tree=$(_images_worktree_hash) || { _images_fail "$log" "cannot hash the working tree of $REPO_ROOT (a git checkout?)"; return; }
  # Only what the build context holds: test/ and bench/ are in .dockerignore, so a changed test reuses the image.
  hash=$( { echo "$digest"; git -C "$REPO_ROOT" ls-tree -r "$tree" | grep -Pv '\t(test|bench)/'; } | _images_sha256 | cut -c1-16)
  PLATFORM_IMAGE=$REGISTRY/paas-test/paas:$hash
  if _images_registry_has "paas-test/paas:$hash"; then
    _images_done "platform image $PLATFORM_IMAGE, cached" "$start"
    return 0
  fi
  _images_docker_build "$log" Dockerfile "$PLATFORM_IMAGE" || return
  _images_done "platform image $PLATFORM_IMAGE" "$start"
}

# write_images_env FILE: the export lines for the tests (after the build_* functions).
write_images_env() {
  local file=${1:?write_images_env FILE}
  {
    printf 'export PAAS_TEST_KANIKO_IMAGE=%q\n' "${KANIKO_IMAGE:?run build_kaniko_image first}"
    printf 'export PAAS_TEST_BUILDER_IMAGE=%q\n' "${BUILDER_IMAGE:?run build_builder_image first}"
    printf 'export PAAS_TEST_PLATFORM_IMAGE=%q\n' "${PLATFORM_IMAGE:?run build_platform_image first}"
    printf 'export PAAS_TEST_PAUSE_IMAGE=%q\n' "${PAUSE_IMAGE:?run build_pause_image first}"
  } >"$file"
}
