#!/usr/bin/env bash
# CI step: the tests that run xgrad's thread pool (tests tagged [threads]: the pool itself,
# chunked elementwise work, split matrix products, a fused Linear + activation split across
# threads) under ThreadSanitizer, in their own build directory (build-tsan/, or $TSAN_BUILD_DIR).
# Any data race it reports fails the step.
set -euo pipefail
BUILD_DIR="${TSAN_BUILD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build-tsan}"
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"  # ROOT, step, build_targets (log in $BUILD_DIR/logs)
TESTS=(test_core_parallel test_activations test_kernels_gemm test_nn_layers)

bash "$ROOT/scripts/install-deps.sh"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_CXX_FLAGS="-fsanitize=thread" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" -DXGRAD_PCH=OFF "${launcher[@]}" >/dev/null
ensure_build_dir_writable
build_targets "build (ThreadSanitizer)" "${TESTS[@]}"
# Without address-space randomisation: GCC 12's ThreadSanitizer cannot map its shadow memory on
# kernels that randomise with more bits (vm.mmap_rnd_bits = 32).
for t in "${TESTS[@]}"; do
  step "ThreadSanitizer: $t [threads]"
  TSAN_OPTIONS="halt_on_error=1:${TSAN_OPTIONS:-}" setarch "$(uname -m)" -R \
    "$BUILD_DIR/tests/$t" "[threads]"
done
