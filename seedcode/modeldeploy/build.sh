#!/usr/bin/env bash
# The Build stage of the ModelDeploy pipeline (buildspec.yml runs it): build once,
# deploy many.
#
# This repository's code is vetted, tested and compiled once per change: the compiled
# app and test gate are kept in BUILD_STORE under a key of every file here and the Go
# toolchain. An execution whose code was compiled before (a model version approved or
# rejected, a retried execution) fetches them and only resolves the model version and
# synthesizes the endpoint stacks. A failing vet or test stores nothing, so it fails
# every execution of that code before staging.
#
# Compiling takes a cache from GO_CACHE_STORE when one is kept there for this go.sum
# and toolchain, and keeps one there when none is: Go's module sources and build cache,
# so the dependencies (the CDK's Go bindings above all) compile once per go.sum, not
# once per change, and the venv of the tests' emulator. The cache is restored only to
# compile, so an approval moves nothing but the compiled programs.
#
# Environment (the project's CodeBuild project sets it):
#   BUILD_STORE     s3://bucket/prefix where the compiled programs are kept. Required.
#   GO_CACHE_STORE  s3://bucket/prefix where the cache is kept; unset: none is kept
#                   (a machine with caches of its own).
#   GOCACHE, GOMODCACHE  Go's caches (empty in a new build container).
#   CDK_OUTDIR      where the templates go (default cdk.out); the test gate is copied
#                   beside them, for the TestStaging action.
set -euo pipefail

bin=.build

# stored says whether an S3 object exists; it fails loudly when it cannot tell
# (access denied, no endpoint).
stored() {
  local uri="${1#s3://}" err
  if err="$(aws s3api head-object --bucket "${uri%%/*}" --key "${uri#*/}" 2>&1 >/dev/null)"; then return 0; fi
  case "$err" in *"(404)"*) return 1 ;; esac
  echo "Build: cannot read $1: $err" >&2
  exit 1
}

check_registries() {
  # In a VPC without a route to them, fail in seconds naming what is unreachable
  # and the project key that names a mirror.
  local proxy index
  proxy="$(go env GOPROXY)"; proxy="${proxy%%[,|]*}"
  if [ "$proxy" != direct ] && [ "$proxy" != off ] && ! curl -sSf -o /dev/null --max-time 20 "${proxy%/}/github.com/aws/jsii-runtime-go/@v/list"; then
    echo "The build cannot reach the Go module proxy $proxy within 20 s: give its subnets a route to it (NAT), or deploy the project with build.goProxy set to a proxy they reach" >&2; exit 1
  fi
  index="${PIP_INDEX_URL:-https://pypi.org/simple}"
  if ! curl -sSf -o /dev/null --max-time 20 "${index%/}/pip/"; then
    echo "The build cannot reach the Python package index $index within 20 s: give its subnets a route to it (NAT), or deploy the project with build.pipIndexUrl set to an index they reach" >&2; exit 1
  fi
}

# The tests' emulator, in a venv beside Go's caches (the image's Python has no moto).
moto_requirement="moto[server]==5.2.5"
test_venv() { echo "$(dirname "$(go env GOCACHE)")/modeldeploy-test-venv"; }

# cache_dirs lists what the cache keeps, a name and a directory per line: Go's module
# sources (without their zips: builds read the extracted files), Go's build cache,
# and the tests' venv.
cache_dirs() {
  echo "mod $(go env GOMODCACHE)"
  echo "build $(go env GOCACHE)"
  echo "venv $(test_venv)"
}

# cache_archive is where the cache of this go.sum, toolchain, Python and emulator is
# kept: <it>-<name>.tar for each of cache_dirs.
cache_archive() {
  echo "${GO_CACHE_STORE%/}/$( { echo "$toolchain"; python3 --version; echo "$moto_requirement"; cat go.sum; } | sha256sum | cut -c1-40)"
}

restore_cache() {
  [ -n "${GO_CACHE_STORE:-}" ] || return 1
  local archive name dir
  archive="$(cache_archive)"
  while read -r name dir; do
    if ! stored "$archive-$name.tar"; then
      echo "Build: no cache kept for this go.sum and toolchain yet"
      return 1
    fi
  done < <(cache_dirs)
  while read -r name dir; do
    mkdir -p "$dir"
    aws s3 cp --quiet "$archive-$name.tar" - | tar -x -f - -C "$dir" || { echo "Build: cannot restore $archive-$name.tar" >&2; exit 1; }
  done < <(cache_dirs)
  echo "Build: cache restored from $archive-{mod,build,venv}.tar"
}

save_cache() {
  local archive name dir
  archive="$(cache_archive)"
  while read -r name dir; do
    tar -c -f - -C "$dir" --exclude='./cache/download/*.zip' . | aws s3 cp --quiet - "$archive-$name.tar"
  done < <(cache_dirs)
  echo "Build: cache kept in $archive-{mod,build,venv}.tar"
}

# install_emulator makes the tests' venv, unless it holds that emulator for this
# Python already (restored, or left by an earlier build on the same machine).
install_emulator() {
  local venv installed
  venv="$(test_venv)" installed="$moto_requirement $(python3 --version)"
  if [ "$(cat "$venv/.installed" 2>/dev/null)" != "$installed" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$moto_requirement"
    echo "$installed" > "$venv/.installed"
  fi
}

# timed runs a step of the build and says how long it took, for the build's log.
timed() {
  local started=$SECONDS status=0
  "$@" || status=$?
  echo "Build: $1${2:+ $2} took $((SECONDS - started)) s"
  return "$status"
}

keep_compiled() { tar -c -f - "$bin" | aws s3 cp --quiet - "$compiled"; }
fetch_compiled() { aws s3 cp --quiet "$compiled" - | tar -x -f -; }

compile() {
  local restored=false emulator
  check_registries
  if timed restore_cache; then restored=true; fi
  # The resolver's and test gate's tests run against a local AWS emulator, installed
  # while vet compiles.
  timed install_emulator &
  emulator=$!
  timed go vet ./...
  wait "$emulator"
  PATH="$(test_venv)/bin:$PATH" timed go test ./...
  rm -rf "$bin"
  timed go build -ldflags='-s -w' -o "$bin/modeldeploy" .
  timed go build -ldflags='-s -w' -o "$bin/testgate" ./cmd/testgate
  timed keep_compiled
  echo "Build: compiled and tested; kept in $compiled"
  if [ -n "${GO_CACHE_STORE:-}" ] && [ "$restored" = false ]; then timed save_cache; fi
}

# source_key is the key of the code: every file of the repository, as the source
# artifact holds it, and the toolchain.
source_key() {
  { echo "$toolchain"; find . -type f ! -path "./$bin/*" ! -path './.git/*' ! -path './cdk.out/*' -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-40
}

main() {
  local out="${CDK_OUTDIR:-cdk.out}" store key
  store="${BUILD_STORE:?BUILD_STORE is not set: the CodeBuild project of the project sets it to where compiled builds are kept}"
  toolchain="$(go env GOVERSION GOOS GOARCH)"
  key="$(source_key)"
  compiled="${store%/}/$key.tar"
  rm -rf "$bin"
  if stored "$compiled"; then
    timed fetch_compiled
    echo "Build: this code ($key) was tested and compiled by an earlier execution: resolving and synthesizing only"
  else
    echo "Build: new code ($key): vet, test and compile"
    compile
  fi
  timed "$bin/modeldeploy"
  cp "$bin/testgate" "$out/testgate"
}

# Sourced (by the tests), it only defines the functions.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then main; fi
