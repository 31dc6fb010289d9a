/**
 * smelu: smooth activations (SmeLU and family) for Node.js, with SIMD kernels, fused dense layers,
 * training building blocks and a reproducibility lab.
 */
import { selected } from './backend/select';
import type { BackendInfo, IsaTier } from './backend/types';

export * from './activations';
export { forward, backward, backwardFromOutput, derivative } from './activate';
export * from './dense';
export type { BackendName, IsaTier, BackendInfo } from './backend/types';
/** Float64 reference of every activation and the spec's error bound, for checking kernels. */
export * as reference from './reference';
/** Training building blocks: layers, losses, optimizers, data, checkpoints. */
export * as nn from './nn';

/** The package version (from package.json). */
// eslint-disable-next-line @typescript-eslint/no-var-requires
export const version: string = require('../package.json').version;

/** What {@link info} returns: the backend in use and the versions around it. */
export interface Info extends BackendInfo {
  /** Why this backend was chosen (e.g. 'SMELU_BACKEND=js', or the addon's load error). */
  reason: string;
  /** This package's version (the same as {@link version}). */
  version: string;
  /** Node.js version (`process.versions.node`). */
  node: string;
  /** Node-API version of this Node.js (`process.versions.napi`; '' when unknown). */
  napi: string;
}

/**
 * Backend ('native' | 'js'), ISA tier, thread count, versions, and why this backend is in use.
 *
 * The first call of this or any compute function selects the backend (loading the addon) and
 * applies SMELU_BACKEND, SMELU_ISA and SMELU_THREADS.
 * @returns a new object on every call.
 * @throws RangeError when SMELU_BACKEND, SMELU_ISA or SMELU_THREADS holds an invalid value, and
 * Error when SMELU_BACKEND=native but the addon cannot be loaded (every compute function throws
 * these too, until the environment is fixed: a failed selection is not cached).
 */
export function info(): Info {
  const s = selected();
  return { ...s.backend.info(), reason: s.reason, version, node: process.versions.node, napi: process.versions.napi ?? '' };
}

/**
 * Sets the native thread pool size (default: the available cores; env SMELU_THREADS).
 *
 * Results do not depend on it: every thread count gives the same bits. A no-op on the TypeScript
 * backend, which is single-threaded. Process-wide: it applies to every later call from any thread.
 * @param n threads including the calling one, an integer from 1 to 1024.
 * @throws RangeError when `n` is not an integer from 1 to 1024.
 */
export function setThreads(n: number): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1024) {
    throw new RangeError(`threads must be an integer from 1 to 1024, got ${String(n)}`);
  }
  selected().backend.setThreads(n);
}

/**
 * Forces an ISA tier of the native backend ('scalar' | 'avx2' | 'avx512' | 'neon'), like SMELU_ISA.
 *
 * Every tier gives the same bits; only the speed changes. Process-wide.
 * @param isa the tier; `info().supportedIsas` lists those this CPU can run.
 * @throws RangeError when this CPU cannot run it, or when the TypeScript backend is in use.
 */
export function setIsa(isa: IsaTier): void {
  const backend = selected().backend;
  if (backend.name === 'js') {
    throw new RangeError(`setIsa: the TypeScript backend is in use (${selected().reason}); it has the single tier 'js'`);
  }
  if (typeof isa !== 'string' || !backend.setIsa(isa)) {
    const have = backend.info().supportedIsas.join(', ');
    throw new RangeError(`isa must be one of the tiers this CPU supports (${have}), got ${String(isa)}`);
  }
}

/**
 * The thread count in use (see {@link setThreads}).
 * @returns the native pool size including the calling thread; 1 on the TypeScript backend.
 * @throws RangeError / Error as {@link info} when the backend cannot be selected.
 */
export function getThreads(): number {
  return selected().backend.info().threads;
}
