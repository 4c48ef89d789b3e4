#!/usr/bin/env bash
# Installs the Debian packages Trellis's tests use (openssl makes the test PKI; ps finds worker processes; chromium renders
# the dashboard under playwright-core; prometheus scrapes a test mesh; etcd-server runs the loopback clusters of the
# replicated control plane's tests). Idempotent; needs root (or sudo).
# The benchmark's tools (wrk, nginx, haproxy, hey) are installed by ../shared/bench/run-peers.sh itself.
set -euo pipefail
PKGS=(openssl procps chromium prometheus etcd-server)
missing=()
for p in "${PKGS[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing system packages: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
