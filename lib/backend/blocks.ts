/**
 * The registry of the arrays {@link allocArray} hands out, shared by every backend. Each array is a
 * view of its own buffer object: a plain ArrayBuffer on the native and TypeScript backends, a
 * clone of the WebAssembly memory's SharedArrayBuffer on the wasm backend (one clone per block, so
 * that the buffer object names the block: a view of a released block stays recognizable even after
 * its memory was handed out again). Keyed by buffer object, weakly: an entry lives as long as a
 * view of it does.
 */

/** One allocation: the bytes of its buffer that views may cover, and whether it was released. */
export interface ArrayBlock {
  /** First byte (the view's byteOffset; on the wasm backend its address in the module's memory). */
  readonly start: number;
  /** One past the last byte the array covers. */
  readonly end: number;
  /** The WebAssembly memory it lives in; null for a plain ArrayBuffer. */
  readonly memory: object | null;
  released: boolean;
  /** Gives the bytes back to their heap (called once, by releaseArray). */
  free(): void;
}

const blocks = new WeakMap<ArrayBufferLike, ArrayBlock>();
/** False until the first block: until then no call pays for a lookup. */
let inUse = false;

// The intrinsic getters: an own `buffer` or `byteOffset` property on an array must not fool the
// checks (the same reason as in ../check.ts).
const typedArrayProto = Object.getPrototypeOf(Float32Array.prototype) as object;
const getter = (name: string) => Object.getOwnPropertyDescriptor(typedArrayProto, name)!.get!;
const bufferOf = getter('buffer');
const byteOffsetOf = getter('byteOffset');
const byteLengthOf = getter('byteLength');

/** Records `view` (covering all of `block`) as an allocated array and returns it. */
export function registerBlock(view: Float32Array, block: ArrayBlock): Float32Array {
  blocks.set(bufferOf.call(view) as ArrayBufferLike, block);
  inUse = true;
  return view;
}

/** A plain zeroed array registered as a block: what allocArray gives on the native and TypeScript backends. */
export function plainBlock(length: number): Float32Array {
  let view: Float32Array;
  try {
    view = new Float32Array(length);
  } catch (e) {
    throw new RangeError(`length: cannot allocate ${length} floats: ${(e as Error).message}`);
  }
  return registerBlock(view, { start: 0, end: length * 4, memory: null, released: false, free() {} });
}

/** The block `v` is a view of, or undefined for an array that allocArray did not make. */
export function blockOf(v: Float32Array): ArrayBlock | undefined {
  return inUse ? blocks.get(bufferOf.call(v) as ArrayBufferLike) : undefined;
}

/**
 * For a view of an allocated block: throws when the block was released or the view reaches outside
 * it (a view made over its buffer by hand, or spanning two blocks); returns the view's first byte.
 * Returns -1 for any other array.
 * @param name the argument, for the error.
 */
export function checkBlock(name: string, v: Float32Array): number {
  if (!inUse) return -1;
  const seen = recall(v);
  if (seen !== null) return seen.block.released ? startIn(seen.block, name, v) : seen.start;
  const block = blocks.get(bufferOf.call(v) as ArrayBufferLike);
  return block === undefined ? -1 : remember(block, startIn(block, name, v), v);
}

/**
 * The address in `memory` of a view of a live block there, else -1 (an ordinary array, or a block
 * of another memory: the caller copies). Throws as {@link checkBlock}, and a RangeError when the
 * view holds fewer than `count` floats: the kernel is about to read or write that many there, and
 * `count` comes from a `length` property or dimensions, which an own property can misstate.
 */
export function addressIn(memory: object, name: string, v: Float32Array, count: number): number {
  if (!inUse) return -1;
  let seen = recall(v);
  if (seen === null) {
    const block = blocks.get(bufferOf.call(v) as ArrayBufferLike);
    if (block === undefined) return -1;
    remember(block, startIn(block, name, v), v);
    seen = recall(v);
    if (seen === null) return -1; // a plain block: not in this memory
  }
  const { block, start, end } = seen;
  if (block.memory !== memory) return -1;
  if (block.released) startIn(block, name, v); // throws
  if (!(start + count * 4 <= end)) {
    throw new RangeError(`${name} holds ${(end - start) / 4} floats, fewer than the ${count} this call reads or writes`);
  }
  return start;
}

/**
 * The last views of blocks in a WebAssembly memory that passed the checks, with their block, first
 * byte and end (one past the view's last byte): a call on the same arrays as the last ones (the
 * zero-copy loop) finds them here without a WeakMap lookup. A view's buffer and offsets never
 * change (its buffer cannot be resized), so only `released` is read again. Plain blocks are left
 * out: this would keep them alive.
 */
interface Seen {
  view: Float32Array | null;
  block: ArrayBlock;
  start: number;
  end: number;
}
const RECENT = 4;
const NO_BLOCK: ArrayBlock = { start: 0, end: 0, memory: null, released: true, free() {} };
const recent: Seen[] = Array.from({ length: RECENT }, () => ({ view: null, block: NO_BLOCK, start: 0, end: 0 }));
let nextRecent = 0;

function recall(v: Float32Array): Seen | null {
  for (let i = 0; i < RECENT; i++) if (recent[i].view === v) return recent[i];
  return null;
}

function remember(block: ArrayBlock, start: number, v: Float32Array): number {
  if (block.memory === null) return start;
  const seen = recent[nextRecent];
  seen.view = v;
  seen.block = block;
  seen.start = start;
  seen.end = start + (byteLengthOf.call(v) as number);
  nextRecent = (nextRecent + 1) % RECENT;
  return start;
}

/**
 * The last (x, out) of a forward that passed every check, when both are views of blocks in a
 * WebAssembly memory: a loop over the same two arrays skips the checks (a view of a
 * SharedArrayBuffer keeps its type, length and offset for good, so only the blocks' release is
 * read again).
 */
let pairX: Float32Array | null = null;
let pairOut: Float32Array | null = null;
let pairXBlock: ArrayBlock = NO_BLOCK;
let pairOutBlock: ArrayBlock = NO_BLOCK;

/** True when (x, out) is the pair {@link rememberPair} recorded last and both blocks are live. */
export function checkedPair(x: Float32Array, out: Float32Array): boolean {
  return x === pairX && out === pairOut && !pairXBlock.released && !pairOutBlock.released;
}

/** Records (x, out), just checked, when both are views of blocks in a WebAssembly memory. */
export function rememberPair(x: Float32Array, out: Float32Array): void {
  if (!inUse) return;
  const sx = recall(x);
  const so = recall(out);
  if (sx === null || so === null) return;
  pairX = x;
  pairOut = out;
  pairXBlock = sx.block;
  pairOutBlock = so.block;
}

function startIn(block: ArrayBlock, name: string, v: Float32Array): number {
  if (block.released) throw new TypeError(`${name} is a view of an array released with releaseArray; allocate a new one`);
  const start = byteOffsetOf.call(v) as number;
  const end = start + (byteLengthOf.call(v) as number);
  if (start < block.start || end > block.end) {
    throw new RangeError(
      `${name} reaches outside the array allocArray made (its bytes ${block.start}-${block.end}, the view's ${start}-${end}): use subarray of the array itself`,
    );
  }
  return start;
}

/**
 * Marks the block of `v` released and frees its memory.
 * @throws TypeError when `v` is not exactly an array allocArray returned, or was released already.
 */
export function releaseBlock(v: Float32Array): void {
  const block = blockOf(v);
  if (block === undefined) throw new TypeError('array was not made by allocArray: only arrays from allocArray can be released');
  if (block.released) throw new TypeError('array was released already (releaseArray was called on it before)');
  const start = byteOffsetOf.call(v) as number;
  if (start !== block.start || start + (byteLengthOf.call(v) as number) !== block.end) {
    throw new TypeError('array is a view of part of an array from allocArray: release the array allocArray returned');
  }
  block.released = true;
  block.free();
}
