#!/usr/bin/env bash
# Installs what is missing (Debian packages; onnx and onnxruntime into .venv), finds full
# MNIST, then runs every test (release build: the
# gradient checks and the small training runs are numeric loops).
# Full MNIST comes from one place: $LENET5_MNIST, else ../shared/data/mnist beside the
# checkout, else it is downloaded into Data/mnist ('lesson data download'). The tests that
# need it fail without it; none skips.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -z "${LENET5_MNIST:-}" ]; then
    if [ -d ../shared/data/mnist ]; then
        LENET5_MNIST="$(cd ../shared/data/mnist && pwd)"
    else
        swift build -c release --product lesson
        .build/release/lesson data download --dir Data/mnist
        LENET5_MNIST="$PWD/Data/mnist"
    fi
fi
export LENET5_MNIST
echo "full MNIST: $LENET5_MNIST"
# ONNX Runtime and onnx (the interop tests' real engine) in a venv of the project's own.
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
export LENET5_PYTHON="$PWD/.venv/bin/python"
swift test -c release --disable-swift-testing "$@"
