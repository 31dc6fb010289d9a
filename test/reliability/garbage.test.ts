/**
 * Garbage in: wrong types, missing fields, negative / fractional / huge dims, strings, objects,
 * detached buffers (structuredClone transfer, ArrayBuffer.prototype.transfer), views out of bounds
 * of a shrunk resizable buffer, Proxies and fakes. Every public function must either work (when
 * the garbage happens to be valid) or throw a TypeError / RangeError; the raw addon, called
 * directly with the same garbage, must throw rather than crash or touch memory it does not own
 * (run under ASan and UBSan by test/native/run_sanitizers.sh).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ACTIVATION_KINDS,
  activation,
  backward,
  backwardFromOutput,
  denseBackward,
  denseBackwardAsync,
  denseForward,
  denseForwardAsync,
  derivative,
  forward,
  getThreads,
  info,
  packWeights,
  setIsa,
  setThreads,
} from '../../lib/index';
import { fcSeed, rawAddon, sameBits } from './helpers/env';
import { detachedByClone, detachedByTransfer, detachedSubview, garbageArb, GARBAGE_KINDS, maybeGarbage, outOfBoundsView } from './helpers/garbage';

const seed = fcSeed();
const scale = Number(process.env.SMELU_FC_SCALE ?? '1');
const runs = (n: number): number => Math.max(10, Math.round(n * scale));
const defaultThreads = getThreads();
const defaultIsa = info().isa;
const tally: Record<string, { ok: number; error: number }> = {};

afterAll(() => {
  setThreads(defaultThreads);
  if (info().backend === 'native') setIsa(defaultIsa);
  const total = Object.values(tally).reduce((a, t) => a + t.ok + t.error, 0);
  const lines = Object.entries(tally).map(([k, t]) => `  ${k}: ${t.ok + t.error} calls (${t.error} refused, ${t.ok} valid)`);
  console.log(`garbage calls: ${total} over ${GARBAGE_KINDS} kinds of garbage (seed ${seed})\n${lines.join('\n')}`);
});

function count(name: string, outcome: 'ok' | 'error'): void {
  tally[name] ??= { ok: 0, error: 0 };
  tally[name][outcome]++;
}

/** A user-facing error: TypeError or RangeError, with a message. */
function isCleanError(e: unknown): boolean {
  return (e instanceof TypeError || e instanceof RangeError) && typeof e.message === 'string' && e.message.length > 0;
}

/** Calls f; a TypeError / RangeError is fine, any other exception fails the property. */
function expectCleanOutcome(name: string, f: () => unknown): void {
  try {
    f();
    count(name, 'ok');
  } catch (e) {
    if (!isCleanError(e)) throw new Error(`${name} threw ${String(e)} (${(e as Error)?.constructor?.name}), not a TypeError / RangeError`);
    count(name, 'error');
  }
}

async function expectCleanOutcomeAsync(name: string, f: () => Promise<unknown>): Promise<void> {
  try {
    await f();
    count(name, 'ok');
  } catch (e) {
    if (!isCleanError(e)) throw new Error(`${name} rejected with ${String(e)}, not a TypeError / RangeError`);
    count(name, 'error');
  }
}

const kindArb = fc.constantFrom(...ACTIVATION_KINDS);
const lenArb = fc.integer({ min: 0, max: 40 });
const dimArb = fc.integer({ min: 0, max: 6 });

describe('public API: garbage arguments give TypeError / RangeError', () => {
  it('the specific faults of the issue, each with its message', () => {
    const x = new Float32Array(4);
    const detachers = [detachedByClone, detachedByTransfer, detachedSubview];
    for (const d of detachers) {
      expect(() => forward('relu', d())).toThrow(new TypeError('x is a Float32Array over a detached ArrayBuffer'));
      expect(() => forward('relu', x, d(4))).toThrow(TypeError);
      expect(() => denseForward({ x: d(0), W: new Float32Array(0), m: 0, k: 0, n: 3, activation: 'relu' })).toThrow(/^x is a Float32Array over a detached/);
      expect(() => packWeights(d(0), 0, 0)).toThrow(/^W is a Float32Array over a detached/);
    }
    // A view of a shrunk resizable buffer reads as empty: refused by length, not read.
    expect(() => forward('relu', x, outOfBoundsView())).toThrow(/^out must have length 4/);
    expect(() => denseForward({ x, W: x, m: 2, k: 2, n: 2.5, activation: 'relu' })).toThrow(new TypeError('n must be a non-negative integer, got number 2.5'));
    expect(() => denseForward({ x, W: x, m: -2, k: 2, n: 2, activation: 'relu' })).toThrow(/^m must be a non-negative integer/);
    expect(() => denseForward({ x, W: x, m: '2', k: 2, n: 2, activation: 'relu' } as never)).toThrow(/^m must be a non-negative integer, got the string '2'/);
    expect(() => denseForward({ x, W: x, m: 2, k: 2, n: 1e300, activation: 'relu' })).toThrow(RangeError);
    expect(() => denseForward({ x, W: x, k: 2, n: 2, activation: 'relu' } as never)).toThrow(/^m must be a non-negative integer, got undefined/);
    expect(() => denseForward({ x, W: { length: 4 }, m: 2, k: 2, n: 2, activation: 'relu' } as never)).toThrow(/^W must be a Float32Array, got an object/);
    expect(() => denseForward('x' as never)).toThrow(new TypeError('denseForward takes an object of arguments'));
    expect(() => forward('relu', new Proxy(x, {}))).toThrow(/^x must be a Float32Array/);
    expect(() => forward('relu', Object.create(Float32Array.prototype))).toThrow(/^x must be a Float32Array/);
    expect(() => forward('relu', Object.setPrototypeOf(new Float64Array(4), Float32Array.prototype))).toThrow(/^x must be a Float32Array/);
    expect(() => forward({ kind: 'smelu', beta: 1n } as never, x)).toThrow(/'beta' must be a number, got bigint 1/);
    expect(() => forward(Symbol('s') as never, x)).toThrow(TypeError);
    // Shared and resizable buffers are ordinary memory: they work.
    const shared = new Float32Array(new SharedArrayBuffer(16)).fill(-1);
    expect(Array.from(forward('relu', shared))).toEqual([0, 0, 0, 0]);
  });

  it('elementwise functions: random garbage in every position', () => {
    const acts = maybeGarbage(() => 'smelu');
    const prop = fc.property(kindArb, lenArb, fc.array(fc.oneof(garbageArb, lenArb.map((n) => new Float32Array(n))), { minLength: 4, maxLength: 4 }), acts, fc.nat(3), (kind, len, junk, act, which) => {
      const x = new Float32Array(len).map((_, i) => i - len / 2);
      const a = which === 0 ? act : kind;
      const [j0, j1, j2] = junk;
      expectCleanOutcome('forward', () => forward(a as never, which === 1 ? (j0 as never) : x, j1 as never));
      expectCleanOutcome('backward', () => backward(a as never, x, which === 2 ? (j0 as never) : x.slice(), j2 as never));
      expectCleanOutcome('backwardFromOutput', () => backwardFromOutput(a as never, j0 as never, x, which === 3 ? (j1 as never) : undefined));
      expectCleanOutcome('derivative', () => derivative(a as never, which === 1 ? (j2 as never) : x, j1 as never));
    });
    fc.assert(prop, { seed, numRuns: runs(2_500) });
    expect(tally.forward.error).toBeGreaterThan(0);
  });

  it('dense functions: garbage fields, missing fields, garbage argument objects', async () => {
    const f32 = (len: number) => () => new Float32Array(len).map((_, i) => (i % 7) - 3);
    const field = (good: () => unknown) => maybeGarbage(good, 0.25);
    const cases = fc.record({ m: dimArb, k: dimArb, n: dimArb, code: fc.nat(ACTIVATION_KINDS.length - 1) }).chain(({ m, k, n, code }) =>
      fc.record({
        fwd: fc.record({
          x: field(f32(m * k)),
          W: field(f32(k * n)),
          b: field(() => new Float32Array(n)),
          m: field(() => m),
          k: field(() => k),
          n: field(() => n),
          activation: field(() => ACTIVATION_KINDS[code]),
          out: field(() => undefined),
          zOut: field(() => undefined),
          keepZ: field(() => code % 2 === 0),
        }),
        bwd: fc.record({
          dy: field(f32(m * n)),
          z: field(f32(m * n)),
          y: field(() => undefined),
          dx: field(() => (code % 3 === 0 ? false : undefined)),
          dW: field(() => undefined),
          db: field(() => undefined),
          accumulate: field(() => false),
        }),
        whole: fc.boolean(),
        junk: garbageArb,
      }),
    );
    const prop = fc.asyncProperty(cases, async ({ fwd, bwd, whole, junk }) => {
      const { x, W, m, k, n, activation: act } = fwd;
      const fArgs = whole ? junk : fwd;
      const bArgs = whole ? junk : { x, W, m, k, n, activation: act, ...bwd };
      expectCleanOutcome('denseForward', () => denseForward(fArgs as never));
      expectCleanOutcome('denseBackward', () => denseBackward(bArgs as never));
      expectCleanOutcome('packWeights', () => packWeights(W as never, k as never, n as never));
      await expectCleanOutcomeAsync('denseForwardAsync', () => denseForwardAsync(fArgs as never));
      await expectCleanOutcomeAsync('denseBackwardAsync', () => denseBackwardAsync(bArgs as never));
    });
    await fc.assert(prop, { seed, numRuns: runs(2_500) });
    expect(tally.denseForward.error).toBeGreaterThan(0);
    expect(tally.denseForward.ok).toBeGreaterThan(0);
  });

  it('configuration: setThreads, setIsa, activation with garbage', () => {
    fc.assert(
      fc.property(garbageArb, (g) => {
        expectCleanOutcome('setThreads', () => setThreads(g as never));
        expectCleanOutcome('setIsa', () => setIsa(g as never));
        expectCleanOutcome('activation', () => activation(g as never));
      }),
      { seed, numRuns: runs(1_000) },
    );
    setThreads(defaultThreads);
    setIsa(defaultIsa);
  });
});

// ------------------------------------------------------------------ the raw addon

type Raw = Record<string, (...args: unknown[]) => unknown>;

/**
 * A plausible argument list for a raw export (the shapes native.ts passes), with lengths that
 * match or are off by one, codes and parameters in or out of range; then some positions replaced
 * by garbage.
 */
function plausibleArgs(raw: Raw, name: string, r: () => number): unknown[] {
  const dim = () => Math.floor(r() * 7);
  const len = (n: number) => (r() < 0.15 ? Math.max(0, n + (r() < 0.5 ? 1 : -1)) : n);
  const f32 = (n: number) => new Float32Array(len(n)).map(() => (r() - 0.5) * 8);
  const maybe = (n: number) => (r() < 0.3 ? null : f32(n));
  const code = r() < 0.9 ? Math.floor(r() * 10) : [10, -1, 2.5, 2 ** 32 + 2, NaN][Math.floor(r() * 5)];
  const params = new Float64Array(r() < 0.9 ? 5 : Math.floor(r() * 5)).map(() => (r() < 0.8 ? r() * 3 : [NaN, -1, Infinity, 0, 1e-300][Math.floor(r() * 5)]));
  const m = dim(), k = dim(), n = dim();
  switch (name) {
    case 'actForward': { const l = dim() * 5; return [code, params, f32(l), f32(l)]; }
    case 'actBackward':
    case 'actBackwardFromOutput': { const l = dim() * 5; return [code, params, f32(l), f32(l), f32(l)]; }
    case 'actBench': { const l = dim() * 5; return [code, params, f32(l), f32(l), Math.floor(r() * 3), Math.floor(r() * 5)]; }
    case 'denseForward':
    case 'denseForwardAsync': {
      let w: unknown = f32(k * n);
      if (r() < 0.3) {
        // a packed handle, sometimes for another shape (must be refused, never read past its end)
        const pk = r() < 0.5 ? k : dim(), pn = r() < 0.5 ? n : dim();
        w = raw.packWeights(pk, pn, new Float32Array(pk * pn));
      }
      return [m, k, n, f32(m * k), w, maybe(n), code, params, f32(m * n), maybe(m * n)];
    }
    case 'denseBackward':
    case 'denseBackwardAsync':
      return [m, k, n, f32(m * k), f32(k * n), f32(m * n), f32(m * n), r() < 0.5, code, params, maybe(m * k), f32(k * n), maybe(n), r() < 0.5];
    case 'packWeights':
      return [k, n, f32(k * n)];
    case 'setThreads':
      return [1 + Math.floor(r() * 4)];
    case 'setIsa':
      return [['scalar', 'avx2', 'avx512', 'neon', 'js', ''][Math.floor(r() * 6)]];
    case 'optimStep': {
      // kind, 8 hyperparameters, w, g and up to two state arrays of w's length (or off by one)
      const l = dim() * 5;
      const hyper = new Float64Array(r() < 0.9 ? 8 : Math.floor(r() * 8)).map(() => (r() < 0.8 ? r() : [NaN, -1, Infinity, 0][Math.floor(r() * 4)]));
      return [r() < 0.9 ? Math.floor(r() * 3) : [3, -1, 1.5][Math.floor(r() * 3)], hyper, f32(l), f32(l), maybe(l), maybe(l)];
    }
    default:
      return [];
  }
}

describe('raw addon: garbage never crashes the process', () => {
  const raw = rawAddon();
  const used = ['actForward', 'actBackward', 'actBackwardFromOutput', 'actBench', 'denseForward', 'denseBackward', 'denseForwardAsync', 'denseBackwardAsync', 'packWeights', 'setThreads', 'setIsa', 'info'];
  // Every function the addon exports is fuzzed, also ones added after this test was written
  // (those get garbage and the replacements only, until plausibleArgs learns their shape).
  const names = Object.keys(raw).filter((k) => typeof raw[k] === 'function').sort();

  it('exports every entry point the backend uses', () => {
    for (const name of used) expect(typeof raw[name], name).toBe('function');
    console.log(`raw addon exports fuzzed: ${names.join(', ')}`);
  });

  it('the specific faults: detached, wrong types, a packed W of another shape, codes out of range', () => {
    const p = new Float64Array([1, 20, 0, 0, 0]);
    const x = new Float32Array(16);
    expect(() => raw.actForward(2, p, x, new Float32Array(15))).toThrow(RangeError);
    expect(() => raw.actForward(2, p, x, new Float64Array(16))).toThrow(TypeError);
    expect(() => raw.actForward(2, new Float64Array(4), x, x)).toThrow(TypeError);
    expect(() => raw.actForward(2 ** 32 + 2, p, x, x)).toThrow(RangeError);
    expect(() => raw.actForward(2.5, p, x, x)).toThrow(RangeError);
    expect(() => raw.actBackwardFromOutput(5, p, x, x, x)).toThrow(TypeError);
    // A detached array reads as empty: it must not match a non-empty length.
    expect(() => raw.actForward(2, p, detachedByClone(16), x)).toThrow(RangeError);
    expect(() => raw.denseForward(4, 4, 4, detachedByClone(16), x, null, 0, p, x.slice(), null)).toThrow(RangeError);
    const packed = raw.packWeights(1, 1, new Float32Array(1));
    expect(() => raw.denseForward(16, 16, 16, new Float32Array(256), packed, null, 0, p, new Float32Array(256), null)).toThrow(/packed for another k or n/);
    expect(() => raw.denseForward(2 ** 53, 1, 1, x, x, null, 0, p, x, null)).toThrow(RangeError);
    expect(() => raw.denseForward(2 ** 70, 1, 1, x, x, null, 0, p, x, null)).toThrow(RangeError);
    expect(() => raw.denseForward(2 ** 32, 2 ** 32, 1, x, x, null, 0, p, x, null)).toThrow(RangeError);
    expect(() => raw.denseBackward(2 ** 33, 2 ** 33, 2 ** 33, x, x, x, x, false, 0, p, null, x, null, false)).toThrow(RangeError);
    expect(() => raw.setThreads(0)).toThrow(RangeError);
    expect(() => raw.setThreads(1e9)).toThrow(RangeError);
    expect(() => raw.actBench(0, p, x, x, 1, 7)).toThrow(RangeError);
    expect(raw.setIsa('no such tier')).toBe(false);
  });

  it('random plausible and garbage argument lists for every export', async () => {
    const prop = fc.asyncProperty(
      fc.constantFrom(...names),
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      fc.array(fc.tuple(fc.nat(15), garbageArb), { maxLength: 3 }),
      fc.boolean(),
      fc.array(garbageArb, { maxLength: 16 }),
      async (name, valueSeed, replacements, allGarbage, junk) => {
        let s = valueSeed;
        const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
        let args = plausibleArgs(raw, name, r);
        if (allGarbage) args = junk;
        for (const [at, g] of replacements) {
          // actBench loops `reps` times: keep garbage away from its count (a huge count is a hang, not a fault).
          if (name === 'actBench' && at === 4) continue;
          args[at] = g;
        }
        if (name === 'actBench' && !(typeof args[4] === 'number' && args[4] >= 0 && args[4] <= 3)) args[4] = 1;
        try {
          const out = raw[name](...args);
          if (out instanceof Promise) await out;
          count(`raw ${name}`, 'ok');
        } catch (e) {
          // The addon throws TypeError / RangeError for what it checks; anything else a JS error too.
          if (!(e instanceof Error)) throw new Error(`raw ${name} threw a non-Error: ${String(e)}`);
          count(`raw ${name}`, 'error');
        }
      },
    );
    await fc.assert(prop, { seed, numRuns: runs(20_000) });
    raw.setThreads(defaultThreads);
    raw.setIsa(defaultIsa);
    // Still healthy: the same bits as before the storm.
    const xs = new Float32Array(64).map((_, i) => i / 8 - 4);
    const p = activation({ kind: 'smelu', beta: 0.5 });
    const want = forward(p, xs);
    const y = new Float32Array(64);
    raw.actForward(p.code, p.params, xs, y);
    expect(sameBits(y, want)).toBe(true);
  });
});
