#!/bin/sh
# Install the Debian packages geoprobe needs to build, test and run its demo.
# Does nothing when they are all present; otherwise apt-get installs the
# missing ones (as root, or through sudo). Called by `make test` / `make demo`.
set -eu

PKGS="build-essential pkg-config liblapacke-dev libopenblas-dev libpng-dev
fonts-dejavu-core libcjson-dev libcairo2-dev liblbfgs-dev libcmocka-dev
python3 python3-numpy python3-sklearn python3-pytest python3-tqdm valgrind pngcheck
openmpi-bin libopenmpi-dev"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "deps: need root or sudo to install:$missing" >&2; exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
