#!/usr/bin/env bash
# Installs everything qplug needs on Debian 12 (system packages, npm packages),
# builds the native addon and the CLI, and caches the kernel lab image.
# Idempotent; quiet on success; on failure prints the step and its log.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(cmake pkg-config g++ make libnl-3-dev libnl-route-3-dev iproute2 qemu-system-x86 busybox-static cpio kmod util-linux procps strace iperf3 haproxy chromium)
LOG="$(mktemp -t qplug-setup.XXXXXX.log)"
trap 'rm -f "$LOG"' EXIT

step() {
  local name="$1"; shift
  printf 'setup: %s\n' "$name" >&2
  if ! "$@" >>"$LOG" 2>&1; then
    printf 'setup: FAILED: %s (%s)\n--- last lines of the log ---\n' "$name" "$*" >&2
    tail -n 30 "$LOG" >&2
    exit 1
  fi
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else printf 'setup: %s needs root: run ./setup.sh as root or install sudo\n' "$1" >&2; return 1
  fi
}

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# The lab build fetches the kernel .deb through apt, which needs package lists.
if [ "${#missing[@]}" -gt 0 ] || ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
  step "apt-get update" as_root apt-get update -q
fi
if [ "${#missing[@]}" -gt 0 ]; then
  step "apt-get install ${missing[*]}" as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm ci only when the lockfile changed since the last install.
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f node_modules/.qplug-lock-hash ] || [ "$(cat node_modules/.qplug-lock-hash)" != "$lock_hash" ]; then
  step "npm ci" npm ci --no-audit --no-fund
  echo "$lock_hash" > node_modules/.qplug-lock-hash
fi

step "build the native addon (cmake-js)" npm run --silent build:native
step "build the CLI (tsc)" npm run --silent build:ts
step "kernel lab image (qplug lab build)" node bin/qplug.js lab build
printf 'setup: done. Try: npx qplug doctor\n' >&2
