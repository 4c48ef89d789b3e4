#!/usr/bin/env bash
# The one test command: installs what the tests need (system packages, npm packages), builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
npm ci --no-audit --no-fund --loglevel=error
npm test
