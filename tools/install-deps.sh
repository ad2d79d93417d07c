#!/usr/bin/env bash
# Installs the system libraries mrcnn builds and tests against (Debian 12): FFmpeg's development
# libraries and command-line tools, OpenBLAS, oneDNN (libdnnl-dev), pkg-config and Chromium (headless, for the preview test).
# Non-interactive and quiet; uses sudo only when not run as root. Does nothing when everything is already installed.
set -euo pipefail

# chromium: the live-preview test screenshots the page with headless Chromium.
# libturbojpeg0-dev: JPEG stills are decoded with libjpeg-turbo, as PIL decodes them. libdnnl-dev: oneDNN.
# patchelf: tools/install.sh gives the installed binary a relative RUNPATH.
# libmosquitto-dev: --publish mqtt://… (Eclipse Mosquitto's client library); mosquitto, mosquitto-clients and openssl:
# the tests start a real broker on loopback, subscribe with mosquitto_sub and make a test CA for TLS.
# nginx + libnginx-mod-rtmp: the restream test's RTMP server; prometheus: promtool checks the /metrics text.
packages=(libavcodec-dev libavformat-dev libswscale-dev libavdevice-dev libopenblas-dev libdnnl-dev libturbojpeg0-dev pkg-config ffmpeg chromium patchelf
          libmosquitto-dev mosquitto mosquitto-clients openssl nginx libnginx-mod-rtmp prometheus)

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-deps: all system packages present"
    exit 0
fi

sudo=()
if [[ "$(id -u)" -ne 0 ]]; then sudo=(sudo); fi

echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Use-Pty=0 "${missing[@]}" >/dev/null
echo "install-deps: done"
