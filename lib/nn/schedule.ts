/**
 * Learning-rate schedules: a pure function of the step number (0-based), so a resumed run gets the
 * same rate at the same step without any schedule state in the checkpoint.
 */

/**
 * A learning rate: a constant number (>= 0), or one of the schedule objects below. Each is checked
 * by {@link checkSchedule} when an optimizer is made.
 */
export type LrSchedule =
  | number
  | {
      /** The same rate at every step. */
      kind: 'constant';
      /** The rate, >= 0. */
      lr: number;
    }
  | {
      /** Linear ramp from lr/warmupSteps to the `then` schedule's first value, then `then` (shifted). */
      kind: 'warmup';
      /** Length of the ramp, a positive integer. */
      warmupSteps: number;
      /** The schedule after the ramp; its step 0 is the first step after the ramp. */
      then: LrSchedule;
    }
  | {
      /** lr * decayRate^(step / decaySteps), or ^floor(...) when staircase. */
      kind: 'exponential';
      /** The rate at step 0, >= 0. */
      lr: number;
      /** Factor per decaySteps, > 0. */
      decayRate: number;
      /** Steps per factor of decayRate, > 0. */
      decaySteps: number;
      /** Decay in whole multiples of decaySteps (default false). */
      staircase?: boolean;
    }
  | {
      /** lr / sqrt(1 + step / scaleSteps). */
      kind: 'inverse_sqrt';
      /** The rate at step 0, >= 0. */
      lr: number;
      /** Time scale, > 0: the rate is lr / sqrt(2) at step scaleSteps. */
      scaleSteps: number;
    }
  | {
      /** Cosine from lr to minLr over totalSteps, minLr after. */
      kind: 'cosine';
      /** The rate at step 0, >= 0. */
      lr: number;
      /** Length of the decay, > 0. */
      totalSteps: number;
      /** The final rate, >= 0 (default 0). */
      minLr?: number;
    }
  | {
      /** lr * gamma^floor(step / every). */
      kind: 'step';
      /** The rate at step 0, >= 0. */
      lr: number;
      /** Steps between two drops, > 0. */
      every: number;
      /** Factor per drop, > 0. */
      gamma: number;
    };

/**
 * The learning rate at `step` (0 for the first update). A pure function of its arguments, so a
 * resumed run gets the same rates.
 * @param s the schedule (not validated here: see {@link checkSchedule}).
 * @param step the 0-based step number.
 * @returns the rate.
 */
export function lrAt(s: LrSchedule, step: number): number {
  if (typeof s === 'number') return s;
  switch (s.kind) {
    case 'constant':
      return s.lr;
    case 'warmup':
      return step < s.warmupSteps ? (lrAt(s.then, 0) * (step + 1)) / s.warmupSteps : lrAt(s.then, step - s.warmupSteps);
    case 'exponential': {
      const e = step / s.decaySteps;
      return s.lr * Math.pow(s.decayRate, s.staircase ? Math.floor(e) : e);
    }
    case 'inverse_sqrt':
      return s.lr / Math.sqrt(1 + step / s.scaleSteps);
    case 'cosine': {
      const min = s.minLr ?? 0;
      if (step >= s.totalSteps) return min;
      return min + 0.5 * (s.lr - min) * (1 + Math.cos((Math.PI * step) / s.totalSteps));
    }
    case 'step':
      return s.lr * Math.pow(s.gamma, Math.floor(step / s.every));
  }
}

/** The largest learning rate accepted (any schedule's rates are checked against it). */
export const MAX_LR = 1000;

/**
 * Validates a schedule up front so that a typo fails at construction, not at step 10 000.
 * @param s the value to check (nested `then` schedules included).
 * @param where prefix for the error message (default 'lr').
 * @returns `s`, typed.
 * @throws TypeError for a negative, non-finite or above-{@link MAX_LR} rate, an unknown kind, or a field out of range.
 */
export function checkSchedule(s: unknown, where = 'lr'): LrSchedule {
  const bad = (why: string): never => {
    throw new TypeError(`${where}: ${why}; got ${JSON.stringify(s)}`);
  };
  const pos = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;
  // a rate beyond MAX_LR makes every float32 step overflow: it is a typo, not a setting
  const nonNeg = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_LR;
  if (typeof s === 'number') {
    if (!nonNeg(s)) bad(`a learning rate must be a finite number >= 0 and <= ${MAX_LR}`);
    return s;
  }
  if (!s || typeof s !== 'object') return bad('expected a number or a schedule object');
  const o = s as Record<string, unknown>;
  switch (o.kind) {
    case 'constant':
      if (!nonNeg(o.lr)) bad('lr must be >= 0');
      break;
    case 'warmup':
      if (!Number.isInteger(o.warmupSteps) || !pos(o.warmupSteps)) bad('warmupSteps must be a positive integer');
      checkSchedule(o.then, `${where}.then`);
      break;
    case 'exponential':
      if (!nonNeg(o.lr) || !pos(o.decayRate) || !pos(o.decaySteps)) bad('needs lr >= 0, decayRate > 0, decaySteps > 0');
      break;
    case 'inverse_sqrt':
      if (!nonNeg(o.lr) || !pos(o.scaleSteps)) bad('needs lr >= 0, scaleSteps > 0');
      break;
    case 'cosine':
      if (!nonNeg(o.lr) || !pos(o.totalSteps) || (o.minLr !== undefined && !nonNeg(o.minLr))) {
        bad('needs lr >= 0, totalSteps > 0, minLr >= 0');
      }
      break;
    case 'step':
      if (!nonNeg(o.lr) || !pos(o.every) || !pos(o.gamma)) bad('needs lr >= 0, every > 0, gamma > 0');
      break;
    default:
      bad("kind must be 'constant', 'warmup', 'exponential', 'inverse_sqrt', 'cosine' or 'step'");
  }
  return s as LrSchedule;
}
