/**
 * smelu: smooth activations (SmeLU and family) for Node.js, with SIMD kernels, fused dense layers,
 * training building blocks and a reproducibility lab.
 */
export * from './activation';
export * from './dense';
export { allocArray, releaseArray, MAX_ARRAY_LENGTH } from './arrays';
export { version, info, setThreads, setIsa, getThreads, type Info } from './runtime';
export type { BackendName, IsaTier, BackendInfo } from './backend/types';
/** Float64 reference of every activation and the spec's error bound, for checking kernels. */
export * as reference from './reference';
/** Training building blocks: layers, losses, optimizers, data, checkpoints. */
export * as nn from './nn';
