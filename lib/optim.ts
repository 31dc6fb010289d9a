/**
 * The optimizer step on the selected backend: one in-place update of a dense tensor (SIMD kernels
 * on the native backend, float64 loops on the TypeScript one). The optimizers of lib/nn fill the
 * hyperparameter slots; see OptimStep in ./backend/types for their layout.
 */
import type { OptimStep } from './backend/types';
import { checkDisjoint } from './check';
import { selected } from './runtime';

/**
 * One update of `w` from `g` and the kind's state arrays, in place, on the selected backend.
 * w, g and the states must not share memory (RangeError, on every backend).
 */
export const optimStep: OptimStep = (kind, hyper, w, g, s1, s2) => {
  checkDisjoint([['w', w], ['g', g], ['s1', s1], ['s2', s2]]);
  return selected().backend.optimStep(kind, hyper, w, g, s1, s2);
};
