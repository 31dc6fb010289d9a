/**
 * Learning-rate schedules: a pure function of the step number (0-based), so a resumed run gets the
 * same rate at the same step without any schedule state in the checkpoint.
 */

export type LrSchedule =
  | number
  | { kind: 'constant'; lr: number }
  /** Linear ramp from lr/warmupSteps to the `then` schedule's first value, then `then` (shifted). */
  | { kind: 'warmup'; warmupSteps: number; then: LrSchedule }
  /** lr * decayRate^(step / decaySteps), or ^floor(...) when staircase. */
  | { kind: 'exponential'; lr: number; decayRate: number; decaySteps: number; staircase?: boolean }
  /** lr / sqrt(1 + step / scaleSteps). */
  | { kind: 'inverse_sqrt'; lr: number; scaleSteps: number }
  /** Cosine from lr to minLr over totalSteps, minLr after. */
  | { kind: 'cosine'; lr: number; totalSteps: number; minLr?: number }
  /** lr * gamma^floor(step / every). */
  | { kind: 'step'; lr: number; every: number; gamma: number };

/** The learning rate at `step` (0 for the first update). */
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

/** Validates a schedule up front so that a typo fails at construction, not at step 10 000. */
export function checkSchedule(s: unknown, where = 'lr'): LrSchedule {
  const bad = (why: string): never => {
    throw new TypeError(`${where}: ${why}; got ${JSON.stringify(s)}`);
  };
  const pos = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;
  const nonNeg = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  if (typeof s === 'number') {
    if (!nonNeg(s)) bad('a learning rate must be a finite number >= 0');
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
