#!/usr/bin/env bash
# Builds the libFuzzer target over reading decoding + validation (tests/fuzz, clang, ASan+UBSan)
# into build-fuzz/ and fuzzes it for a bounded time. Exits non-zero when the fuzzer finds a
# crash, leak, timeout or invariant violation; the input that did it is left in
# build-fuzz/artifacts/ (reproduce: build-fuzz/reading_fuzzer <file>).
#
#   tests/fuzz/run_fuzz.sh [seconds]        default 60
#   env: FUZZ_JOBS (build parallelism), FUZZ_BUILD_DIR (default <repo>/build-fuzz), CXX (a clang++),
#        FUZZ_COVERAGE=1 (afterwards, a line-coverage report of the front door sources over the corpus)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
seconds="${1:-60}"
cxx="${CXX:-}"
if [[ -z "$cxx" || "$cxx" != *clang* ]]; then
  cxx="$(command -v clang++ || command -v clang++-14 || true)"
fi
[[ -n "$cxx" ]] || { echo "run_fuzz.sh: clang++ not found (libFuzzer needs clang)" >&2; exit 2; }
jobs="${FUZZ_JOBS:-$(nproc)}"

cmake -S "$here" -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$jobs" --target reading_fuzzer

# New inputs go to the first directory (in the build tree); the checked-in seeds are read only.
mkdir -p "$build/corpus" "$build/artifacts"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
status=0
"$build/reading_fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$build/artifacts/" -dict="$here/reading.dict" \
  "$build/corpus" "$here/corpus" || status=$?
if [[ $status -ne 0 ]]; then
  echo "run_fuzz.sh: the fuzzer failed (exit $status); inputs in $build/artifacts/:" >&2
  ls -l "$build/artifacts/" >&2 || true
  exit "$status"
fi
echo "run_fuzz.sh: no crash in ${seconds}s"

if [[ "${FUZZ_COVERAGE:-0}" == 1 ]]; then
  cov="$build-coverage"
  cmake -S "$here" -B "$cov" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCITYTWIN_FUZZ_COVERAGE=ON >/dev/null
  cmake --build "$cov" -j"$jobs" --target reading_fuzzer >/dev/null
  llvm_bin="$(dirname "$(readlink -f "$cxx")")"
  profdata="$(command -v "$llvm_bin/llvm-profdata" || command -v llvm-profdata)"
  llvmcov="$(command -v "$llvm_bin/llvm-cov" || command -v llvm-cov)"
  LLVM_PROFILE_FILE="$cov/fuzz.profraw" "$cov/reading_fuzzer" -runs=0 "$build/corpus" "$here/corpus" >/dev/null 2>&1
  "$profdata" merge -sparse "$cov/fuzz.profraw" -o "$cov/fuzz.profdata"
  "$llvmcov" report "$cov/reading_fuzzer" -instr-profile="$cov/fuzz.profdata" \
    "$root/engine/frontdoor/reading_validation.cpp" "$root/engine/frontdoor/segment_directory.cpp"
fi
