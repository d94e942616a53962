#!/usr/bin/env bash
# Installs what is missing, builds the release binary and runs every lesson with the shipped
# full-MNIST network, on full MNIST when it is found ($LENET5_MNIST, Data/mnist, or
# ../shared/data/mnist beside the checkout), else on the embedded digits; figures and HTML
# land in Output/. Extra arguments go to `lesson`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product lesson
if [ -z "${LENET5_MNIST:-}" ] && [ ! -d Data/mnist ] && [ -d ../shared/data/mnist ]; then
    export LENET5_MNIST="$(cd ../shared/data/mnist && pwd)"
fi
.build/release/lesson all "$@"
