/**
 * The native backend: the Node-API addon (SIMD kernels, fused dense, thread pool). Arguments arrive
 * validated by the public API; the addon re-checks only what keeps memory safe.
 */
import * as fs from 'node:fs';
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
  optimStep(kind: number, hyper: Float64Array, w: Float32Array, g: Float32Array, s1: Float32Array | null, s2: Float32Array | null): void;
}

/** The package root: two levels above this file both in lib/backend and in dist/backend. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

/** Local builds, relative to the package root: cmake-js and node-gyp both write build/Release. */
const LOCAL_BUILDS = [path.join('build', 'Release', 'smelu.node'), path.join('build', 'Debug', 'smelu.node')];

/** The prebuilt addon shipped in the package for this platform, relative to the package root. */
export function prebuiltFile(): string {
  return path.join('prebuilds', `${process.platform}-${process.arch}`, 'smelu.node');
}

/** An addon file to try (relative to the package root) and why it is tried at that place. */
interface Candidate {
  file: string;
  why: string;
}

function mtimeOf(rel: string): number | undefined {
  try {
    return fs.statSync(path.join(PACKAGE_ROOT, rel)).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * The addons to try, in order. When a local build and a prebuilt both exist, the newer file goes
 * first, because that is the one somebody chose last:
 * - a build made on purpose (SMELU_BUILD_FROM_SOURCE=1 at install, `npm rebuild`, or
 *   `npm run build:native` in a checkout) is newer than the prebuilt, whose npm tarball date is 1985;
 * - when scripts/install.js settles on the prebuilt it touches it, so a build directory left over
 *   from an earlier install or build cannot shadow a prebuilt that works;
 * - in a checkout, whichever of `npm run build:native` and `npm run build:prebuilds` ran last wins.
 * The other file stays in the list: it is used when the first one does not load.
 */
export function addonCandidates(): Candidate[] {
  const local = LOCAL_BUILDS.find((f) => mtimeOf(f) !== undefined);
  const prebuilt = prebuiltFile();
  const prebuiltTime = mtimeOf(prebuilt);
  const platform = `${process.platform}-${process.arch}`;
  if (local !== undefined && prebuiltTime !== undefined) {
    if (mtimeOf(local)! >= prebuiltTime) {
      return [
        { file: local, why: `local build, newer than ${prebuilt}` },
        { file: prebuilt, why: `prebuilt for ${platform}` },
      ];
    }
    return [
      { file: prebuilt, why: `prebuilt for ${platform}, newer than the local build ${local}` },
      { file: local, why: 'local build' },
    ];
  }
  if (local !== undefined) return [{ file: local, why: 'local build' }];
  if (prebuiltTime !== undefined) return [{ file: prebuilt, why: `prebuilt for ${platform}` }];
  return [];
}

/** What a prebuilt's load error leaves out on Linux: the prebuilts are built for glibc. */
function libcNote(file: string): string {
  if (process.platform !== 'linux' || !file.startsWith('prebuilds')) return '';
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  const glibc = report?.header?.glibcVersionRuntime;
  return glibc ? ` (this system has glibc ${glibc})` : ' (the Linux prebuilts need glibc; this system has another C library, e.g. musl)';
}

function loadAddon(): { addon: Addon; file: string; why: string } {
  // SMELU_ADDON_PATH loads one given build instead (the sanitizer build in build-asan for
  // test/native/run_sanitizers.sh); it is used alone, so a failure is not hidden by a fallback.
  const override = (process.env.SMELU_ADDON_PATH ?? '').trim();
  if (override !== '') {
    const file = path.resolve(override);
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return { addon: require(file) as Addon, file: path.relative(PACKAGE_ROOT, file), why: 'SMELU_ADDON_PATH' };
  }
  const candidates = addonCandidates();
  if (candidates.length === 0) {
    throw new Error(`no local build (${LOCAL_BUILDS[0]}) and no prebuilt addon for ${process.platform}-${process.arch}`);
  }
  const failures: string[] = [];
  for (const { file, why } of candidates) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const addon = require(path.join(PACKAGE_ROOT, file)) as Addon;
      return { addon, file, why: failures.length ? `${why}; ${failures.join('; ')}` : why };
    } catch (e) {
      // "/abs/path/smelu.node: file too short" -> "file too short": the file is named already
      const msg = (e as Error).message.split('\n')[0].split(`${path.join(PACKAGE_ROOT, file)}: `).join('');
      failures.push(`${file} did not load: ${msg}${libcNote(file)}`);
    }
  }
  throw new Error(failures.join('; '));
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
  /** The addon file, relative to the package root. */
  addonFile: string;
  /** Why that file: where it sits in the load order, and what failed before it. */
  addonWhy: string;
  actBench(code: number, params: Float64Array, x: Float32Array, y: Float32Array, reps: number, mode: number): number;
};

export function loadNativeBackend(): NativeBackend {
  const { addon, file, why } = loadAddon();
  const unpack = (w: Float32Array | PackedHandle) => (w instanceof Float32Array ? w : (w as NativePacked).external);
  const backend: NativeBackend = {
    name: 'native',
    addonFile: file,
    addonWhy: why,
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
  // An addon built before optimStep existed (an older prebuilt) leaves it out: the optimizers then
  // use their TypeScript loops.
  if (typeof addon.optimStep === 'function') {
    backend.optimStep = (kind, hyper, w, g, s1, s2) => addon.optimStep(kind, hyper, w, g, s1, s2);
  }
  return backend;
}
