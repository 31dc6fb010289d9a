#!/usr/bin/env bash
# Builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer (CMake option
# SMELU_SANITIZE) into build/asan/ -- build/Release is left alone -- and runs the native-facing
# reliability tests against it: activations and dense against the TypeScript backend (fast-check),
# garbage arguments to the public API and to the raw addon, worker threads and exits.
# Node is not instrumented, so the ASan runtime is preloaded (LD_PRELOAD); leak detection is off
# because Node itself does not free everything at exit; UBSan halts on the first report.
# Passes when every test passes and no sanitizer report appears anywhere in the output (children
# included). Installs the sanitizer runtimes when missing. Usage: test/native/run_sanitizers.sh
set -uo pipefail
cd "$(dirname "$0")/../.."

passed=0
failed=0
check() { # check <status> <what>
  if [ "$1" -eq 0 ]; then passed=$((passed + 1)); echo "PASS $2"; else failed=$((failed + 1)); echo "FAIL $2"; fi
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

# The runtimes ship with GCC's support library (libgcc-N-dev, a dependency of g++-N).
asan=$(g++ -print-file-name=libasan.so)
ubsan=$(g++ -print-file-name=libubsan.so)
if [ ! -e "$asan" ] || [ ! -e "$ubsan" ]; then
  echo "== apt-get install the ASan / UBSan runtimes"
  export DEBIAN_FRONTEND=noninteractive
  gccv=$(g++ -dumpversion | cut -d. -f1)
  apt-get update -qq && apt-get install -y -qq "libgcc-$gccv-dev" >/dev/null
  asan=$(g++ -print-file-name=libasan.so)
  ubsan=$(g++ -print-file-name=libubsan.so)
fi
[ -e "$asan" ] && [ -e "$ubsan" ]
check $? "sanitizer runtimes: $asan, $ubsan"
[ "$failed" -eq 0 ] || finish

# -fno-sanitize-address-use-after-scope: with it, ASan's scope poisoning of the fully unrolled
# micro-kernel tiles takes GCC minutes per file (over 4 minutes each for the AVX2 / AVX-512 GEMM
# tiers); bounds, heap and stack-overflow checks stay on. CMAKE_CXX_FLAGS_RELEASE is the hook
# (cmake-js sets CMAKE_CXX_FLAGS itself).
addon=build/asan/Release/smelu.node
npx cmake-js build --out build/asan --CDSMELU_SANITIZE=ON \
  "--CDCMAKE_CXX_FLAGS_RELEASE=-O3 -DNDEBUG -g -fno-sanitize-address-use-after-scope" >build/asan.log 2>&1
status=$?
[ "$status" -eq 0 ] && [ -f "$addon" ] && ldd "$addon" | grep libasan >/dev/null
check $? "build the sanitized addon ($addon; log build/asan.log)"
[ "$status" -eq 0 ] || tail -30 build/asan.log
[ "$failed" -eq 0 ] || finish

log=build/asan-tests.log
: >"$log"
status=0
# The fast suite's attack tests and the async buffer tests, then the worker-termination loop from
# the full suite.
run_under_asan() {  # config json files...
  local config=$1 json=$2
  shift 2
  # verify_asan_link_order=0: the runtime is preloaded into an uninstrumented node on purpose.
  LD_PRELOAD="$asan" \
    ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:verify_asan_link_order=0" \
    UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
    SMELU_ADDON_PATH="$addon" \
    npx vitest run --config "$config" "$@" --reporter=default --reporter=json --outputFile="$json" >>"$log" 2>&1 || status=1
}
run_under_asan vitest.config.ts build/asan-tests-fast.json test/reliability/property.test.ts test/reliability/garbage.test.ts \
  test/reliability/async-buffers.test.ts
run_under_asan vitest.full.config.ts build/asan-tests-full.json test/reliability/workers.full.test.ts
tail -25 "$log"

# The tests ran against the sanitized build, not build/Release.
grep -q "native addon loaded from build/asan/Release/smelu.node" "$log"
check $? "the tests loaded $addon"

counts=$(node -e "const rs=['fast','full'].map((n)=>require('./build/asan-tests-'+n+'.json')); const s=(k)=>rs.reduce((a,r)=>a+r[k],0); console.log(s('numPassedTests'), s('numFailedTests'), s('numPendingTests'), s('numTotalTests'))" 2>/dev/null)
read -r tpassed tfailed tpending ttotal <<<"${counts:-0 1 0 0}"
[ "$status" -eq 0 ] && [ "$tfailed" -eq 0 ] && [ "$tpending" -eq 0 ] && [ "$ttotal" -gt 0 ]
check $? "vitest under ASan + UBSan: $tpassed of $ttotal tests passed, $tfailed failed, $tpending skipped"

reports=$(grep -cE "ERROR: AddressSanitizer|runtime error:|SUMMARY: (Address|UndefinedBehavior)Sanitizer" "$log")
[ "$reports" -eq 0 ]
check $? "no sanitizer reports ($reports found; see $log)"
finish
