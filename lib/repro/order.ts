/**
 * Example order regimes (docs/reproducibility-spec.md, "Sources of difference"): a fresh permutation of
 * all rows each epoch (`full`), permutations inside consecutive windows of W rows that keep the
 * given (time) order between windows (`window:W`), or the given order itself (`none`).
 *
 * The whole training stream (epochs x rows) is built up front from one order seed, so training can
 * be cut into chunks (for evaluation during training) without changing a single step.
 */
import { permutation, Rng, type Seed } from '../nn';

export type Shuffle = { kind: 'full' } | { kind: 'none' } | { kind: 'window'; size: number };

/** `full`, `none` or `window:W` (W an integer >= 2). Throws RangeError naming the value. */
export function parseShuffle(s: string): Shuffle {
  const t = s.trim();
  if (t === 'full' || t === 'none') return { kind: t };
  const m = /^window:(\d+)$/.exec(t);
  if (m && Number(m[1]) >= 2 && Number.isSafeInteger(Number(m[1]))) return { kind: 'window', size: Number(m[1]) };
  throw new RangeError(`shuffle must be full, none or window:W with an integer W >= 2, got '${s}'`);
}

/** The canonical text of a regime (the form configs, cache keys and reports use). */
export function shuffleLabel(s: Shuffle): string {
  return s.kind === 'window' ? `window:${s.size}` : s.kind;
}

/**
 * The `full|none|window:W1,W2,...` option: one regime per window size, so window sizes can be
 * swept (`window:256,4096` = two regimes). Returns canonical labels, without duplicates.
 */
export function parseShuffleList(v: string): string[] {
  const out: string[] = [];
  let windowed = false;
  for (const raw of v.split(',').map((x) => x.trim()).filter(Boolean)) {
    // A bare number continues a window list: window:256,4096.
    const item = /^\d+$/.test(raw) && windowed ? `window:${raw}` : raw;
    const s = parseShuffle(item);
    windowed = s.kind === 'window';
    out.push(shuffleLabel(s));
  }
  if (!out.length) throw new RangeError('shuffle needs at least one regime');
  return [...new Set(out)];
}

/** Permutes `order[start, end)` in place (Fisher-Yates) from `rng`. */
function shuffleRange(order: Uint32Array, start: number, end: number, rng: Rng): void {
  for (let i = end - 1; i > start; i--) {
    const j = start + rng.int(i - start + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}

/** One epoch's order of `n` rows under `s`, drawn from `rng` (which it advances). */
export function epochOrder(n: number, s: Shuffle, rng: Rng): Uint32Array {
  if (s.kind === 'full') return permutation(n, rng);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (s.kind === 'window') for (let w = 0; w < n; w += s.size) shuffleRange(order, w, Math.min(n, w + s.size), rng);
  return order;
}

/** The training stream: `epochs` epoch orders of `n` rows, one after another, from one seed. */
export function trainingStream(n: number, epochs: number, s: Shuffle, seed: Seed): Uint32Array {
  const rng = Rng.fromSeed(seed);
  const out = new Uint32Array(n * epochs);
  for (let e = 0; e < epochs; e++) out.set(epochOrder(n, s, rng), e * n);
  return out;
}

/**
 * Where training stops to evaluate: every `every` examples rounded up to whole batches (so the
 * steps are those of an uninterrupted run), and at the end of the stream. Without `every`, the
 * stream is cut into chunks of about `chunk` rows only to bound the memory of one copy.
 */
export function cutPoints(total: number, batch: number, every: number | undefined, chunk = 1 << 16): { cuts: number[]; evals: Set<number> } {
  const step = Math.max(batch, Math.ceil((every ?? chunk) / batch) * batch);
  const cuts: number[] = [];
  for (let c = step; c < total; c += step) cuts.push(c);
  cuts.push(total);
  return { cuts, evals: new Set(every ? cuts : [total]) };
}
