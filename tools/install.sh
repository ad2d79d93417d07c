#!/usr/bin/env bash
# Installs mrcnn into PREFIX as a relocatable tree that runs from anywhere, without the Swift toolchain:
#   PREFIX/bin/mrcnn                 the command (RUNPATH $ORIGIN/../lib/mrcnn)
#   PREFIX/lib/mrcnn/                the Swift runtime libraries it needs (RUNPATH $ORIGIN)
# The Swift runtime is shipped beside the binary rather than linked statically: runtime plugins are Swift
# libraries loaded into the process (docs/PLUGINS.md), so the process must hold exactly one Swift runtime.
# System libraries (FFmpeg, OpenBLAS, oneDNN, libjpeg-turbo, libc) stay the system's: install them with
# tools/install-deps.sh (or the same apt packages) on the target machine.
#
# usage: tools/install.sh PREFIX [--from BUILD_DIR]
#   without --from it builds first (swift build -c release) and installs from that build's products.
set -euo pipefail

usage() { echo "usage: tools/install.sh PREFIX [--from BUILD_DIR]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
prefix=$1; shift
from=""
while [[ $# -gt 0 ]]; do
    case $1 in
        --from) [[ $# -ge 2 ]] || usage; from=$2; shift 2 ;;
        *) usage ;;
    esac
done
command -v patchelf >/dev/null || { echo "install.sh: patchelf is missing (run tools/install-deps.sh)" >&2; exit 1; }

root=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z "$from" ]]; then
    (cd "$root" && swift build -c release --product mrcnn >&2)
    from=$(cd "$root" && swift build -c release --show-bin-path)
fi
binary="$from/mrcnn"
[[ -x "$binary" ]] || { echo "install.sh: no built mrcnn in $from" >&2; exit 1; }

mkdir -p "$prefix/bin" "$prefix/lib/mrcnn"
prefix=$(cd "$prefix" && pwd)
lib="$prefix/lib/mrcnn"

# The Swift runtime: every library ldd resolves from the toolchain directory that holds libswiftCore.so.
swift_dir=$(ldd "$binary" | awk '$1 == "libswiftCore.so" { print $3 }' | xargs -r dirname)
[[ -n "$swift_dir" ]] || { echo "install.sh: cannot find the Swift runtime of $binary (ldd)" >&2; exit 1; }
runtime=$(ldd "$binary" | awk -v d="$swift_dir/" 'index($3, d) == 1 { print $3 }' | sort -u)

install -m 0755 "$binary" "$prefix/bin/mrcnn"
for so in $runtime; do install -m 0755 "$so" "$lib/"; done
patchelf --set-rpath '$ORIGIN/../lib/mrcnn' "$prefix/bin/mrcnn"
for so in "$lib"/*.so; do patchelf --set-rpath '$ORIGIN' "$so"; done

count=$(ls "$lib" | wc -l)
echo "installed $prefix/bin/mrcnn and $count libraries in $lib"
