#!/usr/bin/env bash
# Installs what lenet5-lessons needs on a fresh Debian machine: Cairo and zlib headers
# (and Fashion-MNIST, which the data tests read when present). Idempotent and quiet.
set -euo pipefail
need=()
pkg-config --exists cairo || need+=(libcairo2-dev)
pkg-config --exists zlib || need+=(zlib1g-dev)
fc-list 2>/dev/null | grep -q "DejaVu Sans" || need+=(fonts-dejavu-core fontconfig)
[ -d /usr/share/datasets/fashion-mnist ] || need+=(dataset-fashion-mnist)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
