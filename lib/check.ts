/** Argument checks shared by the public API: each error names the argument and what was expected. */
import { types } from 'node:util';
import { checkBlock } from './backend/blocks';

/**
 * A short description of a value for error messages ('null', 'a Float64Array', "the string 'x'").
 * @internal
 */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an Array';
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string '${v}'`;
  return `${typeof v} ${String(v)}`;
}


/** The kinds whose derivative is a function of the output y: the only ones with a backward from y. */
export const OUTPUT_BACKWARD_KINDS = ['relu', 'smelu'] as const;

/**
 * Returns `spec` when its backward can work from y alone ({@link OUTPUT_BACKWARD_KINDS}).
 * @throws TypeError otherwise.
 */
export function requireOutputBackward<S extends { kind: string; backwardFromOutput: boolean }>(spec: S): S {
  if (!spec.backwardFromOutput) {
    throw new TypeError(
      `backward from the output needs ${OUTPUT_BACKWARD_KINDS.join(' or ')} (their derivative is a function of y); ${spec.kind} needs z`,
    );
  }
  return spec;
}

export function checkFloat32(name: string, v: unknown): Float32Array {
  // Not `instanceof`: a Proxy of a Float32Array or an object made with
  // Object.create(Float32Array.prototype) passes it, and then throws an unrelated TypeError
  // ("incompatible receiver") when .buffer is read.
  if (!types.isFloat32Array(v)) {
    throw new TypeError(`${name} must be a Float32Array, got ${describeValue(v)}`);
  }
  if (v.length === 0 && isDetached(v)) throw new TypeError(`${name} is a Float32Array over a detached ArrayBuffer`);
  checkBlock(name, v);
  return v;
}

/**
 * A new zeroed Float32Array. V8 reports a failed allocation as a bare "Array buffer allocation
 * failed"; this names the array and its size.
 */
export function allocFloat32(name: string, length: number): Float32Array {
  try {
    return new Float32Array(length);
  } catch (e) {
    const gib = ((length * 4) / 2 ** 30).toFixed(2);
    throw new RangeError(`${name}: cannot allocate ${length} floats (${gib} GiB): ${(e as Error).message}`);
  }
}

export function checkLength(name: string, v: Float32Array, expected: number, what: string): void {
  if (v.length !== expected) {
    throw new RangeError(`${name} must have length ${expected} (${what}), got ${v.length}`);
  }
}

/** A dimension: a non-negative safe integer. */
export function checkDim(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new TypeError(`${name} must be a non-negative integer, got ${describeValue(v)}`);
  }
  if (v > 0x7fffffff) throw new RangeError(`${name} must be < 2^31, got ${v}`);
  return v;
}

/**
 * v.length must be a * b. A product no Float32Array can have (beyond MAX_ELEMENTS, or inexact
 * beyond 2^53) is refused as such, naming v and its actual length, before anything is allocated.
 */
export function checkLengthProduct(name: string, v: Float32Array, names: string, a: number, b: number): number {
  const p = a * b;
  if (!Number.isSafeInteger(p) || p > MAX_ELEMENTS) {
    throw new RangeError(
      `${names} = ${p} elements exceeds the largest Float32Array (${MAX_ELEMENTS}); ${name} has length ${v.length}`,
    );
  }
  checkDimsLength(name, v, p, names, a, b);
  return p;
}

/**
 * {@link checkLength} with the expectation named by dimensions: `what` is `${names} = ${a}`, or
 * `${names} = ${a} * ${b}`, built only for the error (a call passes several of these checks).
 */
export function checkDimsLength(name: string, v: Float32Array, expected: number, names: string, a: number, b?: number): void {
  const length = v.length;
  if (length !== expected) {
    const what = b === undefined ? `${names} = ${a}` : `${names} = ${a} * ${b}`;
    throw new RangeError(`${name} must have length ${expected} (${what}), got ${length}`);
  }
}

/** m * k as an element count that a Float32Array can hold (refused before any allocation). */
export function checkProduct(names: string, a: number, b: number): number {
  const p = a * b;
  if (!Number.isSafeInteger(p) || p > MAX_ELEMENTS) {
    throw new RangeError(`${names} = ${p} elements exceeds the largest Float32Array (${MAX_ELEMENTS})`);
  }
  return p;
}

/** Elements of the largest Float32Array allowed here (V8 on 64-bit hosts allows 2^32). */
const MAX_ELEMENTS = 2 ** 32 - 1;

/**
 * A view over a detached buffer (transferred with structuredClone or postMessage) reads as length
 * 0; the caller only asks for views of length 0. Node 20 has no ArrayBuffer.prototype.detached,
 * but constructing a view over a detached buffer throws.
 */
function isDetached(v: Float32Array): boolean {
  const buf = v.buffer as ArrayBuffer & { detached?: boolean };
  if (typeof buf.detached === 'boolean') return buf.detached;
  if (buf.byteLength !== 0) return false;
  try {
    new Uint8Array(buf, 0, 0);
    return false;
  } catch {
    return true;
  }
}

// The intrinsic getters, read once: an own property `buffer` or `byteOffset` defined on an array
// (Object.defineProperty(x, 'buffer', ...)) must not change what the memory checks see.
const typedArrayProto = Object.getPrototypeOf(Float32Array.prototype) as object;
const getter = (name: string) => Object.getOwnPropertyDescriptor(typedArrayProto, name)!.get!;
const bufferGetter = getter('buffer');
const byteOffsetOf = getter('byteOffset');
const byteLengthOf = getter('byteLength');
const lengthOf = getter('length');

/**
 * The buffer object of a view, read with the intrinsic getter (an own `buffer` property does not
 * change it): what {@link checkOutputIn} takes.
 */
export function bufferOf(v: Float32Array): ArrayBufferLike {
  return bufferGetter.call(v) as ArrayBufferLike;
}

/** A view's true memory, read with the intrinsic getters. */
function range(v: Float32Array): { buf: ArrayBufferLike; start: number; end: number; length: number } {
  const start = byteOffsetOf.call(v) as number;
  return { buf: bufferGetter.call(v) as ArrayBufferLike, start, end: start + (byteLengthOf.call(v) as number), length: lengthOf.call(v) as number };
}

/**
 * True when the two views share any byte of one buffer object. Copies of a SharedArrayBuffer from
 * other workers are other objects over the same memory: the addon checks data pointers for them.
 */
export function overlaps(a: Float32Array, b: Float32Array): boolean {
  // Separate buffers (the usual case) answer with one getter each, no range objects: a dense
  // backward checks 15 pairs per call.
  if (bufferGetter.call(a) !== bufferGetter.call(b)) return false;
  const ra = range(a);
  const rb = range(b);
  return ra.buf === rb.buf && ra.start < rb.end && rb.start < ra.end;
}

/** Exactly the same memory: the only kind of aliasing the in-place kernels allow. */
function sameView(a: Float32Array, b: Float32Array): boolean {
  const ra = range(a);
  const rb = range(b);
  return ra.buf === rb.buf && ra.start === rb.start && ra.length === rb.length;
}

/**
 * No two of the arrays share memory (the optimizer's weights, gradient and states).
 * @param arrays named arrays; null entries are skipped.
 * @throws RangeError `a must not share memory with b` for the first overlapping pair.
 */
export function checkDisjoint(arrays: ReadonlyArray<readonly [string, Float32Array | null | undefined]>): void {
  for (let i = 0; i < arrays.length; i++) {
    const [an, a] = arrays[i];
    if (!a) continue;
    for (let j = i + 1; j < arrays.length; j++) {
      const [bn, b] = arrays[j];
      if (b && overlaps(a, b)) throw new RangeError(`${an} must not share memory with ${bn}`);
    }
  }
}

/**
 * Refuses views of resizable or growable buffers for an async call: shrinking one while a pool
 * thread reads it would free memory under the kernel.
 * @param name the argument.
 * @param v the array.
 * @throws TypeError naming the argument.
 */
export function checkFixedBuffer(name: string, v: Float32Array | null | undefined): void {
  if (!v) return;
  const buf = bufferGetter.call(v) as ArrayBufferLike & { resizable?: boolean; growable?: boolean };
  if (buf.resizable === true || buf.growable === true) {
    throw new TypeError(`${name} is a view of a resizable buffer, which an async call cannot use (it could shrink while the call runs); copy it into a fixed-size Float32Array`);
  }
}

/** An output may be exactly in place over the listed inputs, but must not partly overlap them. */
export function checkOutput(
  outName: string,
  out: Float32Array,
  inputs: ReadonlyArray<readonly [string, Float32Array]>,
  allowInPlace: boolean,
): void {
  for (const [name, input] of inputs) checkOutputOver(outName, out, name, input, allowInPlace);
}

/** {@link checkOutput} for one input (no array of pairs built: the per-call path of small calls). */
export function checkOutputOver(outName: string, out: Float32Array, name: string, input: Float32Array, allowInPlace: boolean): void {
  if (!overlaps(out, input)) return;
  if (allowInPlace && sameView(out, input)) return;
  throw new RangeError(
    allowInPlace
      ? `${outName} overlaps ${name} without being exactly the same view: pass the same array for in place, or a separate one`
      : `${outName} must not share memory with ${name}`,
  );
}

/**
 * {@link checkOutputOver} without in place, given each view's {@link bufferOf} (read once per
 * array by the caller): views of separate buffers, the usual case, cost one compare.
 */
export function checkOutputIn(outName: string, out: Float32Array, outBuf: ArrayBufferLike, name: string, input: Float32Array, inputBuf: ArrayBufferLike | null): void {
  if (outBuf !== inputBuf) return;
  checkOutputOver(outName, out, name, input, false);
}

/**
 * A null-prototype copy of an options object's own enumerable properties: a property added to
 * Object.prototype (`Object.prototype.beta = 5`) is never read as an option.
 * @param name the argument's name for the error.
 * @param o the options object, or undefined for none.
 * @returns the own properties only.
 * @throws TypeError when o is neither undefined nor an object.
 */
export function ownOptions<T extends object>(name: string, o: T | undefined): T {
  if (o === undefined) return Object.create(null) as T;
  if (o === null || typeof o !== 'object') throw new TypeError(`${name} must be an object, got ${describeValue(o)}`);
  const r = Object.create(null) as Record<string, unknown>;
  for (const k of Object.keys(o)) r[k] = (o as Record<string, unknown>)[k];
  return r as T;
}
