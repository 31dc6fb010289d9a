/**
 * Compute cost of each activation, for claim 3 ("SmeLU is the cheapest smooth activation"): the
 * time of one elementwise forward plus one backward over a large array, per element, on the
 * backend in use and one thread. The replicas' training times also depend on layers, data and
 * the machine's other load; this isolates the activation itself.
 */
import { activationLabel, backward, forward, type Activation } from '../activation';
import { getThreads, setThreads } from '../runtime';

export interface ActivationCost {
  label: string;
  /** Median nanoseconds per element of forward + backward. */
  nsPerElement: number;
}

// Small enough to stay in L2 cache: a large array would time memory bandwidth, the same for all.
const N = 1 << 14;
const INNER = 50;
const REPS = 31;

/** Inputs spread over the interesting range of every activation, the same for all. */
function inputs(): Float32Array {
  const x = new Float32Array(N);
  for (let i = 0; i < N; i++) x[i] = ((i * 2654435761) % 8000) / 1000 - 4; // a fixed scramble of [-4, 4)
  return x;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** One timed block of forward + backward passes, in ns per element. */
function timeOnce(a: Activation, x: Float32Array, dy: Float32Array, y: Float32Array, dz: Float32Array): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < INNER; i++) {
    forward(a, x, y);
    backward(a, x, dy, dz);
  }
  return Number(process.hrtime.bigint() - t0) / (N * INNER);
}

/**
 * Median over REPS rounds (after one warm-up round) of forward + backward per element. Each round
 * times every activation once, so drift in the machine's load (other jobs, clock changes) hits all
 * activations alike instead of whichever happens to be measured first.
 */
export function activationCosts(acts: readonly Activation[]): ActivationCost[] {
  const threads = getThreads();
  setThreads(1); // one core, like one worker of the sweep
  try {
    const x = inputs();
    const dy = new Float32Array(N).fill(1);
    const y = new Float32Array(N);
    const dz = new Float32Array(N);
    const times: number[][] = acts.map(() => []);
    for (let r = 0; r <= REPS; r++) {
      acts.forEach((a, i) => {
        const t = timeOnce(a, x, dy, y, dz);
        if (r > 0) times[i].push(t);
      });
    }
    return acts.map((a, i) => ({ label: activationLabel(a), nsPerElement: median(times[i]) }));
  } finally {
    setThreads(threads);
  }
}
