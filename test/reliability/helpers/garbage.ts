/**
 * Garbage arguments: every kind of JavaScript value a caller could pass by mistake, including
 * typed arrays that are almost right (wrong type, detached, shared, resizable, a Proxy, a fake).
 */
import fc from 'fast-check';

/** A Float32Array whose buffer has been transferred away (structuredClone with transfer). */
export function detachedByClone(length = 8): Float32Array {
  const a = new Float32Array(length);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}

/** The same through ArrayBuffer.prototype.transfer where this Node has it (22+); else by clone. */
export function detachedByTransfer(length = 8): Float32Array {
  const a = new Float32Array(length);
  const buf = a.buffer as ArrayBuffer & { transfer?: () => ArrayBuffer };
  if (typeof buf.transfer === 'function') buf.transfer();
  else structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}

/** A sub-view (offset 8 bytes) whose buffer was detached afterwards. */
export function detachedSubview(): Float32Array {
  const buf = new ArrayBuffer(64);
  const a = new Float32Array(buf, 8, 4);
  structuredClone(buf, { transfer: [buf] });
  return a;
}

/** A view of a resizable buffer that was shrunk below it (V8 then reports it out of bounds). */
export function outOfBoundsView(): Float32Array {
  const Ctor = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void };
  const buf = new Ctor(64, { maxByteLength: 128 });
  const a = new Float32Array(buf, 16, 8);
  buf.resize(8);
  return a;
}

/** Makers of fresh odd values (a maker, so that a detached array is not shared between cases). */
const MAKERS: Array<() => unknown> = [
  () => undefined,
  () => null,
  () => true,
  () => false,
  () => 0,
  () => -0,
  () => 1,
  () => -1,
  () => 1.5,
  () => NaN,
  () => Infinity,
  () => -Infinity,
  () => 2 ** 31,
  () => 2 ** 32,
  () => 2 ** 53,
  () => 2 ** 64,
  () => 1e300,
  () => -1e300,
  () => Number.MAX_SAFE_INTEGER,
  () => Number.MIN_VALUE,
  () => 10n,
  () => '',
  () => '3',
  () => 'smelu',
  () => 'relu',
  () => 'avx2',
  () => Symbol('garbage'),
  () => [],
  () => [1, 2, 3],
  () => ({}),
  () => ({ length: 4 }),
  () => ({ kind: 'smelu', beta: -1 }),
  () => ({ kind: 'nope' }),
  () => ({ kind: 'smelu', beta: '1' }),
  () => ({ kind: 'gsmelu', alpha: -1, beta: 0.5 }),
  () => ({ kind: 'softplus', threshold: 0 }),
  () => ({ kind: 'swish', beta: NaN }),
  () => ({ kind: 'relu', extra: 1 }),
  () => () => 1,
  () => new Date(0),
  () => new Map(),
  () => /x/,
  () => new ArrayBuffer(16),
  () => new SharedArrayBuffer(16),
  () => new DataView(new ArrayBuffer(16)),
  () => new Float64Array(5),
  () => new Float64Array(4),
  () => new Float64Array(0),
  () => new Int32Array(4),
  () => new Uint8Array(16),
  () => new Uint8ClampedArray(16),
  () => new BigInt64Array(2),
  () => new Float32Array(0),
  () => new Float32Array(1),
  () => new Float32Array(4),
  () => new Float32Array(7),
  () => new Float32Array(16),
  () => new Float32Array(new SharedArrayBuffer(16)),
  () => new Float32Array(new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer)(16, { maxByteLength: 64 })),
  () => new Float32Array(new ArrayBuffer(40), 4, 3),
  () => detachedByClone(),
  () => detachedByTransfer(),
  () => detachedByClone(0),
  () => detachedSubview(),
  () => outOfBoundsView(),
  () => new Proxy(new Float32Array(4), {}),
  () => Object.create(Float32Array.prototype),
  () => Object.setPrototypeOf(new Float64Array(4), Float32Array.prototype),
];

/** One garbage value. */
export const garbageArb: fc.Arbitrary<unknown> = fc.integer({ min: 0, max: MAKERS.length - 1 }).map((i) => MAKERS[i]());

/** How many distinct kinds of garbage there are (for the report). */
export const GARBAGE_KINDS = MAKERS.length;

/** A plausible value (`good()`) most of the time, garbage otherwise. */
export function maybeGarbage<T>(good: () => T, garbageShare = 0.3): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: fc.constant(null).map(() => good()), weight: Math.round((1 - garbageShare) * 10) },
    { arbitrary: garbageArb, weight: Math.round(garbageShare * 10) },
  );
}
