#!/usr/bin/env bash
# Installs what Interp needs from Debian's packages (idempotent; quiet when everything is there).
#   dataset-fashion-mnist  real Fashion-MNIST for the main job and its tests (/usr/share/datasets/fashion-mnist)
# With --tests also: chromium (the test that opens the HTML report in a headless browser).
# With --dev also: python3-torch (regenerates the PyTorch fixtures, side-by-side benchmarks), tcmalloc and jemalloc
# (PyTorch's advised allocators, for its fastest side-by-side configurations) and chromium.
set -euo pipefail
packages=(dataset-fashion-mnist)
[ "${1:-}" = "--tests" ] && packages+=(chromium)
[ "${1:-}" = "--dev" ] && packages+=(python3-torch libopenblas0-pthread libtcmalloc-minimal4 libjemalloc2 chromium)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "setup: installing ${missing[*]} from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
