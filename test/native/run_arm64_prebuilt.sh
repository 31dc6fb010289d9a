#!/bin/sh
# Loads the cross-built linux-arm64 prebuilt (prebuilds/linux-arm64/smelu.node) in a real arm64
# Node.js under qemu-aarch64 and checks it through the package's public API (dist/): info, every
# activation forward and backward on the NEON and scalar tiers against the float64 reference,
# NEON == scalar bitwise, fused dense forward / backward (sync, async, 1 and 3 threads) against a
# float64 product, and C++ exceptions arriving in JS as TypeError.
#
# The arm64 Node comes from Debian's own packages (nodejs:arm64 and the libraries it needs),
# unpacked into a sysroot under $TMPDIR; qemu-aarch64 -L runs it from there. Installs what it needs
# with apt (root, or sudo; this adds arm64 to dpkg's foreign architectures), builds the prebuilt
# with scripts/prebuild.js when it is missing or stale, and dist/ with tsc when missing. Prints 'N passed, N failed'; exits non-zero on a failure. When no arm64 Node can be
# had (no arm64 packages in the apt sources, no network) it says so and exits 0: the NEON kernels
# themselves are still covered by test/native/run_neon.sh and run_neon_gemm.sh.
# Usage: test/native/run_arm64_prebuilt.sh
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=${TMPDIR:-/tmp}
sysroot=${SMELU_ARM64_SYSROOT:-$tmp/smelu_arm64_sysroot}
work=$tmp/smelu_arm64_prebuilt
mkdir -p "$work"

skip() {
  echo "run_arm64_prebuilt: SKIPPED, no arm64 Node.js: $1"
  echo "run_arm64_prebuilt: the NEON kernels are covered by test/native/run_neon.sh and run_neon_gemm.sh"
  exit 0
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else return 1; fi
}

# --- tools: the cross compiler builds the prebuilt (without it there is nothing to test: a
# failure), qemu-aarch64 runs the arm64 Node (without it no arm64 Node can run: a skip)
install() {
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "run_arm64_prebuilt: installing $2"
  as_root apt-get install -y -qq "$2" >/dev/null 2>&1 ||
    { as_root apt-get update -qq >/dev/null 2>&1 && as_root apt-get install -y -qq "$2" >/dev/null 2>&1; }
}
install aarch64-linux-gnu-g++ g++-aarch64-linux-gnu ||
  { echo "run_arm64_prebuilt: could not install g++-aarch64-linux-gnu"; echo "0 passed, 1 failed"; exit 1; }
install qemu-aarch64 qemu-user || skip "qemu-user (qemu-aarch64) could not be installed"

# --- the things under test: the arm64 prebuilt (rebuilt when missing or older than the native
# sources or the build script) and dist/
pre=$root/prebuilds/linux-arm64/smelu.node
if [ ! -f "$pre" ] || [ -n "$(find "$root/native" "$root/scripts/prebuild.js" "$root/CMakeLists.txt" -newer "$pre" | head -1)" ]; then
  echo "run_arm64_prebuilt: building the arm64 prebuilt (node scripts/prebuild.js linux-arm64)"
  (cd "$root" && node scripts/prebuild.js linux-arm64) >"$work/prebuild.log" 2>&1 ||
    { tail -20 "$work/prebuild.log"; echo "0 passed, 1 failed"; exit 1; }
fi
if [ ! -f "$root/dist/index.js" ]; then
  (cd "$root" && npm run -s build:ts) || { echo "0 passed, 1 failed"; exit 1; }
fi

# --- an arm64 Node: Debian's nodejs:arm64 and its libraries, unpacked into $sysroot
if [ ! -x "$sysroot/usr/bin/node" ]; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    as_root dpkg --add-architecture arm64 || skip "cannot add the arm64 architecture to dpkg"
    as_root apt-get update -qq >/dev/null 2>&1 || skip "apt-get update failed"
  fi
  apt-cache show nodejs:arm64 2>/dev/null | grep -q '^Package:' || {
    as_root apt-get update -qq >/dev/null 2>&1 || true
    apt-cache show nodejs:arm64 2>/dev/null | grep -q '^Package:' || skip "no nodejs:arm64 package in the apt sources"
  }
  # nodejs:arm64 and what it depends on, followed through the Depends fields level by level (one
  # apt-cache call per level: each call takes about a second): the arm64 libraries and the arch-all
  # node-* packages (Debian's node loads some built-in modules from /usr/share/nodejs). Each name
  # is asked for as name:arm64 and as name; records of other architectures are dropped.
  list="" seen=" " frontier="nodejs"
  while :; do
    names=""
    for p in $frontier; do
      case "$seen" in *" $p "*) ;; *) seen="$seen$p " names="$names $p:arm64 $p" ;; esac
    done
    [ -n "$names" ] || break
    out=$(apt-cache show --no-all-versions $names 2>/dev/null | awk -v RS= '{
      pkg = ""; arch = ""; deps = ""
      n = split($0, line, "\n")
      for (i = 1; i <= n; i++) {
        if (line[i] ~ /^Package: /) pkg = substr(line[i], 10)
        else if (line[i] ~ /^Architecture: /) arch = substr(line[i], 15)
        else if (line[i] ~ /^Depends: /) deps = substr(line[i], 10)
      }
      if (arch == "arm64") print "PKG " pkg ":arm64"; else if (arch == "all") print "PKG " pkg; else next
      m = split(deps, dep, ",")
      for (j = 1; j <= m; j++) { d = dep[j]; sub(/\|.*/, "", d); sub(/\(.*/, "", d); sub(/:any/, "", d); gsub(/ /, "", d); if (d != "") print "DEP " d }
    }' || true)
    list="$list $(echo "$out" | sed -n 's/^PKG //p' | tr '\n' ' ')"
    frontier=$(echo "$out" | sed -n 's/^DEP //p' | sort -u)
  done
  case "$list" in *nodejs:arm64*) ;; *) skip "no nodejs:arm64 package in the apt sources" ;; esac
  debs=$work/debs
  rm -rf "$debs" && mkdir -p "$debs"
  (cd "$debs" && chmod 777 . && apt-get download -qq $list >/dev/null 2>&1) || skip "apt-get download of nodejs:arm64 and its dependencies failed"
  rm -rf "$sysroot" && mkdir -p "$sysroot"
  for d in "$debs"/*.deb; do dpkg -x "$d" "$sysroot"; done
  [ -x "$sysroot/usr/bin/node" ] || skip "the nodejs:arm64 package holds no usr/bin/node"
fi
node_arm64() { qemu-aarch64 -L "$sysroot" "$sysroot/usr/bin/node" "$@"; }
node_arm64 -e 'if (process.arch !== "arm64") throw new Error(process.arch)' 2>"$work/node.err" ||
  skip "the arm64 node does not start under qemu-aarch64: $(head -1 "$work/node.err")"
echo "run_arm64_prebuilt: $(node_arm64 -p '`node ${process.version} (${process.arch}, Node-API ${process.versions.napi})`') under $(qemu-aarch64 --version | head -1)"

cat >"$work/check.js" <<'EOF'
'use strict';
const root = process.argv[2];
const smelu = require(`${root}/dist/index.js`);
const { reference: ref } = smelu;
let passed = 0;
let failed = 0;
function check(name, fn) {
  try {
    const why = fn();
    if (why) throw new Error(why);
    passed++;
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.message}`);
  }
}
const sameBits = (a, b) => {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) if (ua[i] !== ub[i] && !(a[i] !== a[i] && b[i] !== b[i])) return `differ at [${i}]: ${a[i]} vs ${b[i]}`;
  return '';
};
function rnd(seed) {
  const r = ref.seededRandom(seed);
  return (n, scale) => Float32Array.from({ length: n }, () => scale * (2 * r() - 1));
}

function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
}
check('loads the prebuilt and picks NEON', () => {
  const i = smelu.info();
  if (i.backend !== 'native') return `backend ${i.backend}: ${i.reason}`;
  if (!/^native addon loaded from prebuilds\/linux-arm64\/smelu\.node/.test(i.reason)) return `reason: ${i.reason}`;
  if (i.isa !== 'neon' || i.supportedIsas.join() !== 'scalar,neon') return `isa ${i.isa} of ${i.supportedIsas}`;
});
if (failed) {
  finish(); // nothing below means anything without the addon
  process.exit();
}

const CASES = [
  { kind: 'identity' }, { kind: 'relu' }, { kind: 'smelu', beta: 0 }, { kind: 'smelu', beta: 1 },
  { kind: 'smelu', beta: 4 }, { kind: 'gsmelu' }, { kind: 'gsmelu', gNeg: 0.1, gPos: 1, alpha: 0.5, beta: 1.5, t: 0.2 },
  { kind: 'rescu2', beta: 1 }, { kind: 'gelu' }, { kind: 'gelu_tanh' }, { kind: 'swish', beta: 1 },
  { kind: 'softplus', beta: 1, threshold: 20 }, { kind: 'sigmoid' },
];
for (const act of CASES) {
  const s = smelu.activation(act);
  const label = JSON.stringify(act);
  const xs = ref.specGrid(s.kind, s.params, { step: 1 / 16, count: 1500 });
  const dy = rnd(7)(xs.length, 2);
  const out = {};
  for (const tier of ['neon', 'scalar']) {
    smelu.setIsa(tier);
    const y = smelu.forward(s, xs);
    const dz = smelu.backward(s, xs, dy);
    out[tier] = { y, dz };
    check(`${label} ${tier} forward and backward within the spec bound`, () => {
      for (let i = 0; i < xs.length; i++) {
        const ey = ref.scaledError(y[i], ref.refForward(s.kind, s.params, xs[i]));
        if (!(ey <= ref.SPEC_TOL)) return `forward x=${xs[i]}: ${y[i]} (error ${ey})`;
        const ed = ref.scaledError(dz[i], Math.fround(dy[i]) * ref.refDerivative(s.kind, s.params, xs[i]));
        if (!(ed <= ref.SPEC_TOL * Math.max(1, Math.abs(dy[i])))) return `backward x=${xs[i]}: ${dz[i]} (error ${ed})`;
      }
    });
  }
  check(`${label} NEON == scalar bitwise`, () => sameBits(out.neon.y, out.scalar.y) || sameBits(out.neon.dz, out.scalar.dz));
}
smelu.setIsa('neon');

// Fused dense: y = f(x W + b) and its gradients, against float64 sums with a bound scaled by the
// sum of |terms|; the same bits for every tier, thread count and sync / async.
const m = 37, k = 29, n = 45;
const r = rnd(11);
const x = r(m * k, 1), W = r(k * n, 0.5), b = r(n, 0.1), dyd = r(m * n, 1);
const act = { kind: 'smelu', beta: 0.5 };
function denseRef() {
  const z = new Float64Array(m * n), bound = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = b[j], a = Math.abs(b[j]);
    for (let p = 0; p < k; p++) { s += x[i * k + p] * W[p * n + j]; a += Math.abs(x[i * k + p] * W[p * n + j]); }
    z[i * n + j] = s; bound[i * n + j] = a;
  }
  return { z, bound };
}
const { z: zRef, bound } = denseRef();
const p = smelu.activation(act).params;
const runs = {};
for (const [tier, threads] of [['neon', 1], ['neon', 3], ['scalar', 3]]) {
  smelu.setIsa(tier);
  smelu.setThreads(threads);
  const f = smelu.denseForward({ x, W, b, m, k, n, activation: act });
  const g = smelu.denseBackward({ x, W, m, k, n, activation: act, y: f.y, dy: dyd });
  runs[`${tier}/${threads}`] = { y: f.y, dW: g.dW, dx: g.dx, db: g.db };
}
smelu.setIsa('neon');
const base = runs['neon/3'];
check('dense forward within the bound', () => {
  for (let i = 0; i < m * n; i++) {
    const want = ref.refForward('smelu', p, zRef[i]);
    if (Math.abs(base.y[i] - want) > 1e-6 * Math.max(1, bound[i]) + 1e-6 * Math.max(1, Math.abs(want))) return `y[${i}] ${base.y[i]} vs ${want}`;
  }
});
check('dense backward within the bound', () => {
  const dz = new Float64Array(m * n);
  for (let i = 0; i < m * n; i++) dz[i] = dyd[i] * ref.refDerivativeFromOutput('smelu', p, base.y[i]);
  for (let q = 0; q < k; q++) for (let j = 0; j < n; j++) {
    let s = 0, a = 0;
    for (let i = 0; i < m; i++) { s += x[i * k + q] * dz[i * n + j]; a += Math.abs(x[i * k + q] * dz[i * n + j]); }
    if (Math.abs(base.dW[q * n + j] - s) > 1e-5 * Math.max(1, a)) return `dW[${q * n + j}] ${base.dW[q * n + j]} vs ${s}`;
  }
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += dz[i * n + j];
    if (Math.abs(base.db[j] - s) > 1e-5 * Math.max(1, m)) return `db[${j}] ${base.db[j]} vs ${s}`;
  }
});
for (const key of ['neon/1', 'scalar/3']) {
  check(`dense ${key} == neon/3 bitwise`, () => ['y', 'dW', 'dx', 'db'].map((a) => sameBits(runs[key][a], base[a])).find(Boolean));
}

check('a bad argument to the addon throws a TypeError (C++ exception through node-addon-api)', () => {
  const file = /^native addon loaded from (\S+)/.exec(smelu.info().reason)[1];
  const addon = require(require('path').join(root, file));
  try { addon.actForward(0, 'not params', x, x); } catch (e) { return e instanceof TypeError ? '' : `threw ${e}`; }
  return 'did not throw';
});
check('the public API throws RangeError for beta < 0', () => {
  try { smelu.forward({ kind: 'smelu', beta: -1 }, x); } catch (e) { return e instanceof RangeError ? '' : `threw ${e}`; }
  return 'did not throw';
});

smelu.denseForwardAsync({ x, W, b, m, k, n, activation: act }).then(
  (f) => check('dense forward async == sync bitwise', () => sameBits(f.y, base.y)),
  (e) => check('dense forward async', () => e.message),
).then(finish);
EOF

# No SMELU_ADDON_PATH: the package's own load order must find prebuilds/linux-arm64 (an x64 build
# in build/Release, if any, fails to load and is passed over).
SMELU_THREADS=3 node_arm64 "$work/check.js" "$root" || {
  status=$?
  echo "run_arm64_prebuilt: FAILED (exit $status)"
  exit 1
}
