#!/usr/bin/env bash
# Installs what is missing, then runs every test (release build: the gradient checks and the
# small training runs are numeric loops). ../shared/data/mnist-t10k must sit beside the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift test -c release --disable-swift-testing "$@"
