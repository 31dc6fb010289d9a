/**
 * The native backend: the Node-API addon (SIMD kernels, fused dense, thread pool). Arguments arrive
 * validated by the public API; the addon re-checks only what keeps memory safe.
 */
import * as path from 'node:path';
import type { Backend, BackendInfo, IsaTier, PackedHandle } from './types';

/** The addon's exports (native/addon.cc). */
interface Addon {
  info(): { isa: IsaTier; supportedIsas: IsaTier[]; threads: number; compiler: string };
  setIsa(isa: string): boolean;
  setThreads(n: number): void;
  actForward(code: number, params: Float64Array, x: Float32Array, y: Float32Array): void;
  actBackward(code: number, params: Float64Array, z: Float32Array, dy: Float32Array, dz: Float32Array): void;
  actBackwardFromOutput(code: number, params: Float64Array, y: Float32Array, dy: Float32Array, dz: Float32Array): void;
  actBench(code: number, params: Float64Array, x: Float32Array, y: Float32Array, reps: number, mode: number): number;
  denseForward(...args: unknown[]): void;
  denseBackward(...args: unknown[]): void;
  denseForwardAsync(...args: unknown[]): Promise<void>;
  denseBackwardAsync(...args: unknown[]): Promise<void>;
  packWeights(k: number, n: number, w: Float32Array): unknown;
}

/** The package root: two levels above this file both in lib/backend and in dist/backend. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

/** Prebuilt addons shipped in the package, tried after a local build. */
export function addonCandidates(): string[] {
  return [path.join(PACKAGE_ROOT, 'prebuilds', `${process.platform}-${process.arch}`, 'smelu.node')];
}

function loadAddon(): { addon: Addon; file: string } {
  const errors: string[] = [];
  // SMELU_ADDON_PATH loads one given build instead (the sanitizer build in build-asan for
  // test/native/run_sanitizers.sh); it is used alone, so a failure is not hidden by a fallback.
  const override = (process.env.SMELU_ADDON_PATH ?? '').trim();
  if (override !== '') {
    const file = path.resolve(override);
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return { addon: require(file) as Addon, file: path.relative(PACKAGE_ROOT, file) };
  }
  try {
    // `bindings` knows the local build layouts (build/Release, build/Debug, ...).
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const bindings = require('bindings') as (o: { bindings: string; module_root: string }) => Addon;
    const addon = bindings({ bindings: 'smelu.node', module_root: PACKAGE_ROOT });
    return { addon, file: 'build/Release/smelu.node' };
  } catch (e) {
    const msg = (e as Error).message;
    if (!/Could not locate the bindings file/.test(msg)) errors.push(`local build: ${msg.split('\n')[0]}`);
  }
  for (const file of addonCandidates()) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      return { addon: require(file) as Addon, file: path.relative(PACKAGE_ROOT, file) };
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code !== 'MODULE_NOT_FOUND') errors.push(`${path.relative(PACKAGE_ROOT, file)}: ${err.message.split('\n')[0]}`);
    }
  }
  throw new Error(errors.length ? errors.join('; ') : 'no local build (build/Release/smelu.node) and no prebuilt addon for this platform');
}

/** Wraps the packed-W External so the public layer sees a PackedHandle. */
interface NativePacked extends PackedHandle {
  readonly external: unknown;
}

/**
 * The native backend, plus what only benchmarks use: `actBench(code, params, x, y, reps, mode)` runs
 * an elementwise kernel `reps` times inside C++ (mode 0 forward, 1 backward, 2 backward from the
 * output, 3 memcpy of the same bytes as a forward) and returns the elapsed nanoseconds.
 */
export type NativeBackend = Backend & {
  addonFile: string;
  actBench(code: number, params: Float64Array, x: Float32Array, y: Float32Array, reps: number, mode: number): number;
};

export function loadNativeBackend(): NativeBackend {
  const { addon, file } = loadAddon();
  const unpack = (w: Float32Array | PackedHandle) => (w instanceof Float32Array ? w : (w as NativePacked).external);
  const backend: NativeBackend = {
    name: 'native',
    addonFile: file,
    actBench: (code, params, x, y, reps, mode) => addon.actBench(code, params, x, y, reps, mode),
    info(): BackendInfo {
      const i = addon.info();
      return { backend: 'native', isa: i.isa, supportedIsas: i.supportedIsas, threads: i.threads, compiler: i.compiler };
    },
    setIsa: (isa) => addon.setIsa(isa),
    setThreads: (n) => addon.setThreads(n),
    actForward: (code, params, x, y) => addon.actForward(code, params, x, y),
    actBackward: (code, params, z, dy, dz) => addon.actBackward(code, params, z, dy, dz),
    actBackwardFromOutput: (code, params, y, dy, dz) => addon.actBackwardFromOutput(code, params, y, dy, dz),
    denseForward: (m, k, n, x, w, b, code, params, y, z) =>
      addon.denseForward(m, k, n, x, unpack(w), b, code, params, y, z),
    denseForwardAsync: (m, k, n, x, w, b, code, params, y, z) =>
      addon.denseForwardAsync(m, k, n, x, unpack(w), b, code, params, y, z),
    denseBackward: (...args) => addon.denseBackward(...args),
    denseBackwardAsync: (...args) => addon.denseBackwardAsync(...args),
    packWeights(k, n, w): PackedHandle {
      const handle: NativePacked = { k, n, external: addon.packWeights(k, n, w) };
      return handle;
    },
  };
  return backend;
}
