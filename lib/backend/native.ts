/**
 * The native backend: the Node-API addon (SIMD kernels, fused dense, thread pool). Arguments arrive
 * validated by the public API; the addon re-checks only what keeps memory safe.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Backend, BackendInfo, DenseBackwardCall, DenseForwardCall, NativeAddon, PackedHandle } from './types';
import { plainBlock } from './blocks';

/** The package root: two levels above this file both in lib/backend and in dist/backend. */
const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

/**
 * Local builds (cmake-js and node-gyp both write build/Release), relative to the package root, in
 * the order `bindings` tries them. Its default list puts build/Debug before build/Release, so a
 * stale debug build would shadow the release one: the list is given.
 */
const LOCAL_BUILDS = [path.join('build', 'Release', 'smelu.node'), path.join('build', 'Debug', 'smelu.node')];

/** `bindings` with `path: true` resolves the file it would load instead of loading it. */
const bindings = require('bindings') as (opts: { bindings: string; module_root: string; try: string[][]; path: true }) => string;

/** The local build `bindings` finds, relative to the package root, or undefined. */
function localBuild(): string | undefined {
  try {
    const file = bindings({
      bindings: 'smelu.node',
      module_root: PACKAGE_ROOT,
      try: LOCAL_BUILDS.map((f) => ['module_root', ...f.split(path.sep)]),
      path: true,
    });
    return path.relative(PACKAGE_ROOT, file);
  } catch {
    return undefined; // "Could not locate the bindings file": no local build
  }
}

/** The prebuilt addon shipped in the package for this platform, relative to the package root. */
function prebuiltFile(): string {
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
 * The addons to try, in order: the shipped prebuilt, then the local build `bindings` finds. When
 * both exist and the local build is newer, it goes first, because that is the one somebody chose last:
 * - a build made on purpose (SMELU_BUILD_FROM_SOURCE=1 at install, `npm rebuild`, or
 *   `npm run build:native` in a checkout) is newer than the prebuilt, whose npm tarball date is 1985;
 * - when scripts/install.js settles on the prebuilt it touches it, so a build directory left over
 *   from an earlier install or build cannot shadow a prebuilt that works;
 * - in a checkout, whichever of `npm run build:native` and `npm run build:prebuilds` ran last wins.
 * The other file stays in the list: it is used when the first one does not load.
 */
function addonCandidates(): Candidate[] {
  const local = localBuild();
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

function loadAddon(): { addon: NativeAddon; file: string; why: string } {
  // SMELU_ADDON_PATH loads one given build instead (the sanitizer build in build-asan for
  // test/native/run_sanitizers.sh); it is used alone, so a failure is not hidden by a fallback.
  const override = (process.env.SMELU_ADDON_PATH ?? '').trim();
  if (override !== '') {
    const file = path.resolve(override);
    return { addon: require(file) as NativeAddon, file: path.relative(PACKAGE_ROOT, file), why: 'SMELU_ADDON_PATH' };
  }
  const candidates = addonCandidates();
  if (candidates.length === 0) {
    throw new Error(`no local build (${LOCAL_BUILDS[0]}) and no prebuilt addon for ${process.platform}-${process.arch}`);
  }
  const failures: string[] = [];
  for (const { file, why } of candidates) {
    try {
      const addon = require(path.join(PACKAGE_ROOT, file)) as NativeAddon;
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
  readonly external: object;
}

/**
 * The native backend, plus what only benchmarks and tests use: `actBench` (see NativeAddon) and the
 * addon's own thread limit.
 */
export type NativeBackend = Backend & {
  /** The addon file, relative to the package root. */
  addonFile: string;
  /** Why that file: where it sits in the load order, and what failed before it. */
  addonWhy: string;
  /** The addon's thread limit (C++ kMaxThreads) when it exports one. */
  maxThreads: number | undefined;
  actBench: NativeAddon['actBench'];
};

const unpack = (w: Float32Array | PackedHandle): Float32Array | object => (w instanceof Float32Array ? w : (w as NativePacked).external);

/**
 * The addon's positional dense protocol, from the typed calls: passed argument by argument, not as
 * a spread array (an array built and spread per call).
 */
function callForward<R>(f: (...a: Parameters<NativeAddon['denseForward']>) => R, c: DenseForwardCall): R {
  return f(c.m, c.k, c.n, c.x, unpack(c.w), c.b, c.code, c.params, c.y, c.z);
}
function callBackward<R>(f: (...a: Parameters<NativeAddon['denseBackward']>) => R, c: DenseBackwardCall): R {
  return f(c.m, c.k, c.n, c.x, c.w, c.dy, c.saved, c.savedIsOutput, c.code, c.params, c.dx, c.dW, c.db, c.accumulate);
}

export function loadNativeBackend(): NativeBackend {
  const { addon, file, why } = loadAddon();
  const maxThreads = typeof addon.maxThreads === 'number' ? addon.maxThreads : undefined;
  return {
    name: 'native',
    addonFile: file,
    addonWhy: why,
    maxThreads,
    actBench: (code, params, x, y, reps, mode) => addon.actBench(code, params, x, y, reps, mode),
    info(): BackendInfo {
      const i = addon.info();
      return { backend: 'native', isa: i.isa, supportedIsas: i.supportedIsas, threads: i.threads, compiler: i.compiler };
    },
    setIsa: (isa) => addon.setIsa(isa),
    setThreads(n) {
      if (maxThreads !== undefined && n > maxThreads) {
        throw new RangeError(`threads must be an integer from 1 to ${maxThreads} (the addon's limit), got ${n}`);
      }
      addon.setThreads(n);
    },
    actForward: (code, params, x, y) => addon.actForward(code, params, x, y),
    actBackward: (code, params, z, dy, dz) => addon.actBackward(code, params, z, dy, dz),
    actBackwardFromOutput: (code, params, y, dy, dz) => addon.actBackwardFromOutput(code, params, y, dy, dz),
    denseForward: (c) => callForward(addon.denseForward, c),
    denseForwardAsync: (c) => callForward(addon.denseForwardAsync, c),
    denseBackward: (c) => callBackward(addon.denseBackward, c),
    denseBackwardAsync: (c) => callBackward(addon.denseBackwardAsync, c),
    packWeights(k, n, w): PackedHandle {
      const handle: NativePacked = { k, n, external: addon.packWeights(k, n, w) };
      return handle;
    },
    optimStep: (kind, hyper, w, g, s1, s2) => addon.optimStep(kind, hyper, w, g, s1, s2),
    allocArray: plainBlock,
  };
}
