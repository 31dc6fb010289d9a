/**
 * Child process for huge.full.test.ts, by env SMELU_HUGE_MODE:
 * - oom: lowers its own address-space limit (prlimit RLIMIT_AS) to just above what it uses, then
 *   asks for allocations that cannot fit: outputs allocated by the API, the addon's scratch and a
 *   pack. Each must be a RangeError (sync) or a rejected promise, and the process must go on.
 * - act: an in-place activation over 2^31 + 40 floats (8 GiB), checked at both ends and around the
 *   2^31 boundary (32-bit indexing anywhere would wrap there).
 * - dense: a dense forward whose output has m * n = 2^31 + 2^15 elements (8 GiB).
 * Prints one JSON line.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { denseBackward, denseBackwardAsync, denseForward, denseForwardAsync, derivative, forward, packWeights, setThreads } from '../../../lib/index';

const mode = process.env.SMELU_HUGE_MODE;
const report: Record<string, unknown> = { mode };

/** What a call threw: its class and message, or 'ok'. */
function outcome(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    return `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
}

async function outcomeAsync(f: () => Promise<unknown>): Promise<string> {
  try {
    await f();
    return 'ok';
  } catch (e) {
    return `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
}

function vmSizeBytes(): number {
  const m = /VmSize:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(m![1]) * 1024;
}

async function oom(): Promise<void> {
  // Start the threads first (libuv's pool, the dense pool): a thread that cannot get its stack
  // under the limit would abort in libuv, which is not what this is about.
  setThreads(2);
  const warm = { x: new Float32Array(256 * 256), W: new Float32Array(256 * 256), m: 256, k: 256, n: 256, activation: 'relu' as const };
  denseForward(warm);
  await Promise.all([0, 1, 2, 3].map(() => denseForwardAsync(warm)));
  // The arrays the native-scratch cases need, allocated before the limit: dz scratch of
  // denseBackward is m * n floats (256 MiB) that will not fit under the limit.
  const m = 8192, k = 1, n = 8192;
  const bx = new Float32Array(m * k), bW = new Float32Array(k * n), bdy = new Float32Array(m * n), bz = new Float32Array(m * n);
  const dW = new Float32Array(k * n);
  const xBig = new Float32Array(2 ** 27); // 512 MiB: its output will not fit under the limit
  const packW = new Float32Array(2 ** 25); // 128 MiB: its pack will not fit
  const headroom = 96 * 2 ** 20;
  const limit = vmSizeBytes() + headroom;
  execFileSync('prlimit', [`--pid=${process.pid}`, `--as=${limit}`]);
  report.limitMB = Math.round(limit / 2 ** 20);
  // 1. The API allocates an output that cannot fit (16 GiB): a RangeError naming it.
  report.denseOut = outcome(() => denseForward({ x: new Float32Array(0), W: new Float32Array(0), m: 2 ** 31 - 1, k: 0, n: 2, activation: 'relu' }));
  report.forwardOut = outcome(() => forward('relu', xBig));
  report.derivativeOut = outcome(() => derivative('gelu', xBig));
  // 2. The addon's scratch (256 MiB for dZ) cannot be allocated: RangeError, and a rejected promise.
  const bargs = { x: bx, W: bW, dy: bdy, z: bz, m, k, n, activation: 'gelu' as const, dx: false as const, dW, db: false as const };
  report.scratchSync = outcome(() => denseBackward(bargs));
  report.scratchAsync = await outcomeAsync(() => denseBackwardAsync(bargs));
  // 3. A pack of 128 MiB cannot be made: RangeError.
  report.pack = outcome(() => packWeights(packW, 2 ** 12, 2 ** 13));
  // 4. Still healthy under the limit: small calls work and give the right value.
  const y = denseForward({ x: new Float32Array([1, 2]), W: new Float32Array([3, 4]), m: 1, k: 2, n: 1, activation: 'identity' }).y;
  report.after = y[0];
}

function act(): void {
  const len = 2 ** 31 + 40;
  let x: Float32Array;
  try {
    x = new Float32Array(len);
  } catch (e) {
    report.refused = String(e);
    return;
  }
  const probes = [0, 1, 2 ** 31 - 2, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, len - 2, len - 1];
  probes.forEach((i, j) => (x[i] = j % 2 ? -(i % 1000) - 0.5 : 0.25 + j));
  const t0 = performance.now();
  forward({ kind: 'smelu', beta: 1 }, x, x);
  report.ms = Math.round(performance.now() - t0);
  // smelu: (x + 1)^2 / 4 inside [-1, 1], x above, 0 below -1.
  const want = (v: number) => (v >= 1 ? v : v <= -1 ? 0 : Math.fround(((v + 1) * (v + 1)) / 4));
  report.length = x.length;
  report.probes = probes.map((i, j) => {
    const v = j % 2 ? -(i % 1000) - 0.5 : 0.25 + j;
    return { i, got: x[i], want: want(Math.fround(v)) };
  });
  // Zeros everywhere else: f(0) = 1/4. Sample a few on both sides of 2^31.
  report.zeros = [12345, 2 ** 31 - 100, 2 ** 31 + 30, len - 10].map((i) => x[i]);
}

function dense(): void {
  const m = 2 ** 16 + 1, k = 2, n = 2 ** 15;
  const x = new Float32Array(m * k).fill(1);
  x[(m - 1) * k] = 3; // last row: 3 + 1
  const W = new Float32Array(k * n).fill(0.5);
  let y: Float32Array;
  try {
    y = new Float32Array(m * n);
  } catch (e) {
    report.refused = String(e);
    return;
  }
  const t0 = performance.now();
  denseForward({ x, W, m, k, n, activation: 'relu', out: y });
  report.ms = Math.round(performance.now() - t0);
  report.length = y.length;
  report.values = [0, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 7, (m - 1) * n, y.length - 1].map((i) => ({ i, got: y[i] }));
}

async function main(): Promise<void> {
  // On a small machine (see huge.full.test.ts) the 8 GiB arrays must be refused, not attempted.
  if (process.env.SMELU_HUGE_LIMIT === '1') execFileSync('prlimit', [`--pid=${process.pid}`, `--as=${vmSizeBytes() + 2 ** 30}`]);
  if (mode === 'oom') await oom();
  else if (mode === 'act') act();
  else if (mode === 'dense') dense();
  else throw new Error(`unknown SMELU_HUGE_MODE ${mode}`);
  console.log(JSON.stringify(report));
}

void main();
