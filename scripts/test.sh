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
# The browser tests' Chromium and its WebDriver (the lessons themselves need neither).
browser=()
command -v chromium >/dev/null || browser+=(chromium)
command -v chromedriver >/dev/null || browser+=(chromium-driver)
if [ ${#browser[@]} -gt 0 ]; then
    echo "installing: ${browser[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${browser[@]}" >/dev/null
fi
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
# ONNX Runtime and onnx (the interop tests' real engine) and Selenium (the browser tests') in a venv of the project's own.
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
export LENET5_PYTHON="$PWD/.venv/bin/python"
# The toolchain's formatter, with the project's .swift-format: any finding fails the run.
swift format lint --strict --recursive Sources Tests Fuzz Package.swift
mkdir -p .build
# XCTest and Swift Testing (the property-based tests) both run.
swift test -c release "$@" 2>&1 | tee .build/test.log
# AVX-512 instructions only in the products' AVX-512 build, which runs only where the CPU has it.
if [ "$(uname -m)" = x86_64 ]; then bash scripts/check-avx512-confined.sh .build/release/lesson; fi
# The build has no warnings of its own, and keeps it so (the packages' are theirs).
if grep -E "^$PWD/(Sources|Tests)/.*: warning:" .build/test.log; then
    echo "the build has warnings (above): fix them" >&2
    exit 1
fi
