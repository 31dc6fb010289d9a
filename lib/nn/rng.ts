/**
 * The one random number generator of the training blocks: xoshiro128** (Blackman and Vigna),
 * seeded through SplitMix64, as the authors recommend. Both are checked against outputs of the
 * authors' reference C code in test/nn/rng.test.ts.
 *
 * Why these two: xoshiro128** needs only 32-bit operations (fast in JavaScript, no BigInt per
 * draw) and has a 128-bit state that fits a checkpoint as four uint32; SplitMix64 turns any seed,
 * including 0 and small integers, into a well-mixed state and derives independent streams.
 *
 * Everything derived from it (uniform doubles, normals, integers, permutations) uses only exact
 * integer operations or V8's deterministic Math.log / Math.cos / Math.sqrt, so a seed gives the
 * same bits on every run and machine.
 */

const MASK64 = (1n << 64n) - 1n;
const GOLDEN64 = 0x9e3779b97f4a7c15n;

/** A seed: a non-negative safe integer, or a bigint taken modulo 2^64. */
export type Seed = number | bigint;

/**
 * A seed as a uint64 bigint.
 * @param seed a non-negative safe integer, or a bigint (taken modulo 2^64).
 * @param name the argument's name for the error message.
 * @returns the seed in [0, 2^64).
 * @throws TypeError for a negative, fractional or unsafe number, or a non-number.
 */
export function toSeed64(seed: Seed, name = 'seed'): bigint {
  if (typeof seed === 'bigint') return BigInt.asUintN(64, seed);
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new TypeError(`${name} must be a non-negative safe integer or a bigint, got ${String(seed)}`);
  }
  return BigInt(seed);
}

/**
 * The SplitMix64 output function (a bijective 64-bit mixer).
 * @param z a value in [0, 2^64) (larger bits are not masked off first).
 * @returns the mixed value in [0, 2^64).
 */
export function mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/** SplitMix64 (Steele, Lea, Flood; C code by Vigna). Used for seeding only, so BigInt is fine. */
export class SplitMix64 {
  private x: bigint;

  /**
   * Starts a SplitMix64 stream at `seed`.
   * @param seed the starting state (see {@link toSeed64}).
   * @throws TypeError for an invalid seed.
   */
  constructor(seed: Seed) {
    this.x = toSeed64(seed);
  }

  /**
   * Advances the state by the golden-ratio increment and mixes it.
   * @returns the next 64-bit output.
   */
  next(): bigint {
    this.x = (this.x + GOLDEN64) & MASK64;
    return mix64(this.x);
  }
}

/**
 * An independent seed for sub-stream `stream` of `seed` (per parameter tensor, per purpose), so
 * that adding one consumer of randomness never shifts the numbers another consumer gets.
 * @param seed the parent seed.
 * @param stream the sub-stream number: a non-negative safe integer, or a bigint (mod 2^64).
 * @returns a 64-bit seed, a pure function of (seed, stream).
 * @throws TypeError for an invalid seed or stream.
 */
export function deriveSeed(seed: Seed, stream: number | bigint): bigint {
  const s = typeof stream === 'bigint' ? BigInt.asUintN(64, stream) : toSeed64(stream, 'stream');
  return mix64((mix64(toSeed64(seed)) + (s + 1n) * GOLDEN64) & MASK64);
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * xoshiro128**: 32-bit outputs, 128-bit state. The state is kept as four int32 fields.
 *
 * Deterministic: a seed gives the same sequence on every run and machine. Not safe to share
 * between concurrent users of one stream; give each its own (see {@link deriveSeed}).
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /**
   * Starts from a raw 128-bit state (four uint32, not all zero). Prefer {@link Rng.fromSeed}.
   * @param state four uint32 words, e.g. from {@link Rng.getState}.
   * @throws TypeError / RangeError as {@link Rng.setState}.
   */
  constructor(state: ArrayLike<number>) {
    this.setState(state);
  }

  /**
   * Seeds the state with two SplitMix64 outputs: s0, s1 = low, high 32 bits of the first,
   * s2, s3 = low, high of the second.
   * @param seed any seed (see {@link toSeed64}); 0 and small integers are fine.
   * @returns a new generator.
   * @throws TypeError for an invalid seed.
   */
  static fromSeed(seed: Seed): Rng {
    const sm = new SplitMix64(seed);
    const a = sm.next();
    const b = sm.next();
    const words: number[] = [a & 0xffffffffn, a >> 32n, b & 0xffffffffn, b >> 32n].map(Number);
    if ((words[0] | words[1] | words[2] | words[3]) === 0) words[0] = 1; // all-zero is a fixed point
    return new Rng(words);
  }

  /**
   * The next 32-bit output as an unsigned integer.
   * @returns an integer in [0, 2^32).
   */
  nextU32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /**
   * Uniform double in [0, 1) with 53 random bits (two outputs).
   * @returns a multiple of 2^-53 in [0, 1).
   */
  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /**
   * Uniform in [lo, hi).
   * @param lo lower bound (included).
   * @param hi upper bound (excluded, up to rounding).
   * @returns lo + (hi - lo) * next().
   */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /**
   * Standard normal by Box-Muller, one value per call. The second value of the pair is dropped on
   * purpose: a cached spare would be hidden state that checkpoints would have to carry.
   * @returns a finite standard normal draw (four 32-bit outputs).
   */
  normal(): number {
    const u1 = 1 - this.next(); // (0, 1]: log is finite
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /**
   * Unbiased integer in [0, n), n from 1 to 2^32, by rejection (no modulo bias).
   * @param n the number of outcomes.
   * @returns an integer in [0, n).
   * @throws RangeError when n is not an integer from 1 to 2^32.
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) {
      throw new RangeError(`Rng.int: n must be an integer from 1 to 2^32, got ${n}`);
    }
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /**
   * Bernoulli draw with probability p.
   * @param p probability of true (<= 0: never, >= 1: always).
   * @returns next() < p.
   */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /**
   * The state as four uint32 (a copy): what a checkpoint stores.
   * @returns a new Uint32Array of length 4.
   */
  getState(): Uint32Array {
    return Uint32Array.of(this.s0, this.s1, this.s2, this.s3);
  }

  /**
   * Restores a state saved by {@link Rng.getState}: the sequence continues from there.
   * @param state four uint32 words, not all zero.
   * @throws TypeError when `state` does not have 4 entries.
   * @throws RangeError for a word that is not a uint32, or an all-zero state.
   */
  setState(state: ArrayLike<number>): void {
    if (!state || state.length !== 4) throw new TypeError('Rng state must have 4 uint32 words');
    for (let i = 0; i < 4; i++) {
      const w = state[i];
      if (!Number.isInteger(w) || w < 0 || w > 0xffffffff) {
        throw new RangeError(`Rng state word ${i} must be a uint32, got ${String(w)}`);
      }
    }
    if (state[0] === 0 && state[1] === 0 && state[2] === 0 && state[3] === 0) {
      throw new RangeError('Rng state must not be all zero (xoshiro would output zeros forever)');
    }
    this.s0 = state[0] | 0;
    this.s1 = state[1] | 0;
    this.s2 = state[2] | 0;
    this.s3 = state[3] | 0;
  }

  /**
   * An independent copy at the same position (both then give the same sequence).
   * @returns a new generator.
   */
  clone(): Rng {
    return new Rng(this.getState());
  }
}

/**
 * Fills `out` (or a new array) with a uniformly random permutation of 0..n-1 (Fisher-Yates).
 * Deterministic: a function of n and the state of `rng`, which it advances.
 * @param n length, a non-negative integer.
 * @param rng the generator to draw from.
 * @param out optional array of length n to fill.
 * @returns `out`, or a new Uint32Array.
 * @throws RangeError when `out` does not have length n.
 */
export function permutation(n: number, rng: Rng, out?: Uint32Array): Uint32Array {
  const p = out ?? new Uint32Array(n);
  if (p.length !== n) throw new RangeError(`permutation: out must have length ${n}, got ${p.length}`);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
