#!/usr/bin/env bash
# Installs what is missing, builds the release binary and runs every lesson on the embedded
# digits; figures and HTML land in Output/. Extra arguments go to `lesson`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product lesson
.build/release/lesson all "$@"
