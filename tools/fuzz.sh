#!/usr/bin/env bash
# Builds and runs one libFuzzer target:   tools/fuzz.sh TARGET SECONDS [libFuzzer args]
#   TARGET   pth (torch zip + legacy pickle), safetensors, or jsonl (the results reader) — Fuzz/TARGET.swift
#   SECONDS  total fuzzing time, run in chunks of at most 300 s (FUZZ_CHUNK) that each take the shared build
#            lock (FUZZ_LOCK, default /tmp/mrcnn-build.lock), with FUZZ_PAUSE s (15) between chunks so that
#            builds waiting for the lock get in. One libFuzzer worker (one core).
# The target is compiled with swiftc -sanitize=fuzzer,address as one module together with the sources it tests
# (copied to .build-fuzz/src-TARGET with the imports of the modules folded in removed): Sources/Checkpoint +
# Sources/JSONText for pth/safetensors (plus ZIPFoundation 0.9.20, a static library built from the package
# checkout or the offline mirror), the plugin API + the results reader for jsonl. The main package and
# `swift build`/`swift test` are unaffected. Work files go to .build-fuzz/ (FUZZ_OUT): the binary,
# corpus-TARGET/ (seeded from the test fixtures, kept between runs) and artifacts-TARGET/ (crashes).
# Prints the executions of each chunk and the total; exits non-zero on a crash, a timeout or an OOM.
set -euo pipefail
target=${1:?usage: tools/fuzz.sh pth|safetensors|jsonl SECONDS [libFuzzer args]}
seconds=${2:?usage: tools/fuzz.sh pth|safetensors|jsonl SECONDS [libFuzzer args]}
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_OUT:-$root/.build-fuzz}
lock=${FUZZ_LOCK:-/tmp/mrcnn-build.lock}
chunk=${FUZZ_CHUNK:-300}
pause=${FUZZ_PAUSE:-15}
fixtures=$root/Tests/CheckpointTests/Fixtures
[[ -f $root/Fuzz/$target.swift ]] || { echo "fuzz.sh: no target Fuzz/$target.swift" >&2; exit 2; }
mkdir -p "$out"

# ZIPFoundation 0.9.20 sources: the package's checkout, else the offline mirror.
zip=$out/zipfoundation
if [[ ! -f $zip/libZIPFoundation.a ]]; then
    rm -rf "$zip" && mkdir -p "$zip/src"
    if [[ -d $root/.build/checkouts/ZIPFoundation/Sources ]]; then
        cp -r "$root/.build/checkouts/ZIPFoundation/Sources/." "$zip/src/"
    else
        git -C "${ZIPFOUNDATION_GIT:-/opt/swift-packages/weichsel/ZIPFoundation.git}" archive 0.9.20 Sources \
            | tar -x -C "$zip/src" --strip-components=1
    fi
    flock -o "$lock" swiftc -O -parse-as-library -module-name ZIPFoundation -emit-library -static \
        -emit-module -emit-module-path "$zip/ZIPFoundation.swiftmodule" -I "$zip/src/CZLib" -Xcc -D_GNU_SOURCE=1 \
        "$zip"/src/ZIPFoundation/*.swift -o "$zip/libZIPFoundation.a"
fi

binary=$out/fuzz-$target
case $target in
    jsonl) tested=("$root"/Sources/MRCNNPluginAPI/*.swift "$root"/Sources/Results/ResultsReader.swift
                   "$root"/Sources/Results/ResultsFrame.swift "$root"/Sources/Results/ResultsError.swift)
           folded="Pipeline|MRCNNPluginAPI"; links=() ;;
    *)     tested=("$root"/Sources/Checkpoint/*.swift "$root"/Sources/JSONText/*.swift)
           folded="JSONText"; links=(-I "$zip" -I "$zip/src/CZLib" "$zip/libZIPFoundation.a" -lz) ;;
esac
if [[ ! -x $binary ]] || [[ -n $(find "${tested[@]}" "$root/Fuzz/$target.swift" -newer "$binary") ]]; then
    src=$out/src-$target
    rm -rf "$src" && mkdir -p "$src"
    for file in "${tested[@]}"; do
        grep -Ev "^import ($folded)\$" "$file" >"$src/$(basename "$(dirname "$file")")-$(basename "$file")"
    done
    # (ld.gold warns once per ASan helper symbol; those lines are noise.)
    { flock -o "$lock" swiftc -O -g -sanitize=fuzzer,address -parse-as-library -module-name "Fuzz_$target" \
        "$src"/*.swift "$root/Fuzz/$target.swift" "${links[@]}" -o "$binary" 2>&1; } \
        | { grep -v "Cannot export local symbol" || true; }
    [[ -x $binary && -z $(find "${tested[@]}" "$root/Fuzz/$target.swift" -newer "$binary") ]] || { echo "fuzz.sh: build failed" >&2; exit 2; }
fi

corpus=$out/corpus-$target
artifacts=$out/artifacts-$target/
mkdir -p "$corpus" "$artifacts"
case $target in
    pth) seeds=("$fixtures"/*.pth "$fixtures"/random.bin) ;;
    safetensors) seeds=("$fixtures"/*.safetensors) ;;
    jsonl) seeds=("$root"/Fuzz/seeds/jsonl/*) ;;
esac
for kept in "$fixtures"/fuzz/"$target"-* "$root"/Tests/ResultsTests/Fixtures/fuzz/"$target"-*; do seeds+=("$kept"); done
for seed in "${seeds[@]}"; do [[ -f $seed ]] && cp -n "$seed" "$corpus/seed-$(basename "$seed")"; done

# Leak checking stays on, minus ZIPFoundation's own known leak (see Fuzz/lsan.supp).
# Swift's own crash handler would read the crashing stack under ASan and report itself; libFuzzer reports.
export SWIFT_BACKTRACE=enable=no
export LSAN_OPTIONS="suppressions=$root/Fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
total=0
left=$seconds
while (( left > 0 )); do
    run=$(( left < chunk ? left : chunk ))
    log=$out/last-$target.log
    status=0
    flock -o "$lock" "$binary" -max_total_time="$run" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$artifacts" "$@" "$corpus" >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    total=$(( total + ${runs:-0} ))
    echo "fuzz $target: chunk of ${run}s, ${runs:-0} executions (total $total), corpus $(ls "$corpus" | wc -l) files"
    if (( status != 0 )); then
        grep -E "ERROR|SUMMARY|Test unit written|==[0-9]+==" "$log" | head -20
        echo "fuzz $target: finding after $total executions; log $log, artifacts in $artifacts" >&2
        exit 1
    fi
    left=$(( left - run ))
    if (( left > 0 )); then sleep "$pause"; fi
done
echo "fuzz $target: $total executions in ${seconds}s, no findings"
