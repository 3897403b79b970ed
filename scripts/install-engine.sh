#!/usr/bin/env bash
# Makes a Pulumi CLI and Node language host available, and prints the folder that holds
# them (plus the dynamic-provider launcher) on its last line of stdout.
#
# 1. A `pulumi` already on PATH wins (a user's machine, a pipeline): nothing is built.
# 2. Otherwise both are built from their Go modules into a cache folder outside the repo,
#    keyed by the versions, and reused on later runs. The versions are the newest the Go
#    module proxy serves as buildable source (see README, "The real engine").
# The dynamic-provider launcher (shipped in @pulumi/pulumi) is copied next to the binaries, where
# the engine looks for bundled plugins first; it resolves @pulumi/pulumi from the project it runs in.
# Progress goes to stderr; the path to stdout, so callers can `bin=$(install-engine.sh)`.
set -euo pipefail

CLI_VERSION="v3.250.0"      # github.com/pulumi/pulumi/pkg/v3 (the CLI)
LANGHOST_VERSION="v3.65.0"  # github.com/pulumi/pulumi/sdk/v3 (last release that contains pulumi-language-nodejs)
CACHE_ROOT="${PULUMI_VCPP_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-vcpp/engine}"
BIN="$CACHE_ROOT/cli-$CLI_VERSION+nodejs-$LANGHOST_VERSION/bin"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAUNCHER="$REPO_ROOT/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"

say() { printf '[engine] %s\n' "$*" >&2; }
die() { printf '[engine] ERROR: %s\n' "$*" >&2; exit 1; }

install_launcher() {
  [ -f "$LAUNCHER" ] || die "missing $LAUNCHER: run 'npm ci' first"
  cmp -s "$LAUNCHER" "$BIN/pulumi-resource-pulumi-nodejs" && return
  cp "$LAUNCHER" "$BIN/pulumi-resource-pulumi-nodejs.$$" && chmod +x "$BIN/pulumi-resource-pulumi-nodejs.$$"
  mv "$BIN/pulumi-resource-pulumi-nodejs.$$" "$BIN/pulumi-resource-pulumi-nodejs"
}

if [ -z "${PULUMI_VCPP_FORCE_BUILD:-}" ] && existing="$(command -v pulumi 2>/dev/null)"; then
  say "using pulumi from PATH: $existing ($(pulumi version 2>/dev/null || echo 'version unknown'))"
  dirname "$existing"
  exit 0
fi

if [ -x "$BIN/pulumi" ] && [ -x "$BIN/pulumi-language-nodejs" ]; then
  install_launcher
  say "using cached engine in $BIN"
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null 2>&1 || die "no 'pulumi' on PATH and no Go toolchain to build one. Install the Pulumi CLI (https://www.pulumi.com/docs/install/) or Go 1.22+."

# build_tool <name> <module to require> <version> <package to build> <extra go.mod lines>
build_tool() {
  local name="$1" module="$2" version="$3" pkg="$4" extra="$5"
  local work; work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  # A throwaway requiring module: `go install pkg@version` refuses modules with replace lines.
  cat >"$work/go.mod" <<MOD
module pulumi-vcpp-engine-build

go 1.22

require $module $version
$extra
MOD
  cat >"$work/tools.go" <<GO
//go:build tools

package tools

import _ "$pkg"
GO
  say "resolving $name $version modules (first time: downloads from the Go module proxy)..."
  (cd "$work" && GOFLAGS=-mod=mod go mod tidy >&2) \
    || die "could not resolve $module $version from the Go module proxy ($(go env GOPROXY))"
  say "compiling $name (cold: several minutes on 2 cores)..."
  local began; began=$(date +%s)
  # A heartbeat, so a long silent compile does not look like a hang.
  ( while sleep 30; do say "  still compiling $name ($(( $(date +%s) - began ))s)"; done ) &
  local heartbeat=$!
  local built=0
  (cd "$work" && go build \
      -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
      -o "$BIN/$name.tmp" "$pkg" >&2) || built=$?
  kill "$heartbeat" 2>/dev/null || true
  [ "$built" -eq 0 ] || die "go build of $name failed (exit $built); see the compiler output above"
  mv "$BIN/$name.tmp" "$BIN/$name"
  say "built $name in $(( $(date +%s) - began ))s"
}

mkdir -p "$BIN"
# Parallel callers (test workers, two clones) wait for one build instead of racing it.
exec 9>"$BIN/.build.lock"
if command -v flock >/dev/null 2>&1; then
  flock -n 9 || { say "another build of the engine is running; waiting for it..."; flock 9; }
fi
start=$(date +%s)
if [ ! -x "$BIN/pulumi-language-nodejs" ]; then
  build_tool pulumi-language-nodejs github.com/pulumi/pulumi/sdk/v3 "$LANGHOST_VERSION" \
    github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs ""
fi
if [ ! -x "$BIN/pulumi" ]; then
  build_tool pulumi github.com/pulumi/pulumi/pkg/v3 "$CLI_VERSION" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    "require github.com/pulumi/pulumi/sdk/v3 $CLI_VERSION
replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e"
fi
install_launcher
say "engine ready in $BIN ($(( $(date +%s) - start ))s)"
echo "$BIN"
