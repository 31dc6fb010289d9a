/**
 * The WebAssembly backend: the kernels of native/wasm/smelu.wasm (the shared C++ kernel sources
 * built for wasm32 with SIMD128) behind the Backend contract. This file uses no Node built-ins, so
 * that the browser build can use it too; loading the module and starting worker threads is the
 * job of the environment (./wasm_node.ts, ../browser.ts).
 *
 * Memory: a call copies ordinary arrays into the module's memory and its outputs back, in a region
 * laid out afresh per call (a bump arena above the module's own data, the worker stacks and the
 * arrays of allocArray); arrays from allocArray live in the shared memory (ArrayHeap) and are read
 * and written where they are, by the shared instance.
 * Threads: the dense products are split by rows of the output over helper workers that share the
 * memory (WasmHelpers); each output element is one product chain in k order whatever the split,
 * so the bits do not depend on the thread count.
 */
import { addressIn, plainBlock, registerBlock, type ArrayBlock } from './blocks';
import { ACTIVATION_CODES, ACTIVATION_KINDS } from './types';
import type { Backend, BackendInfo, DenseBackwardCall, DenseForwardCall, IsaTier, PackedHandle } from './types';

/**
 * The parts of the WebAssembly JS API used here, declared locally: the compile target's `lib` has
 * no WebAssembly types (they come with the DOM lib), and the emitted declarations must not need it.
 */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}
export interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: object): Promise<{ exports: unknown }>;
}
/** The global WebAssembly object (Node and browsers). */
export function wasmApi(): WasmApi {
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) throw new Error('WebAssembly is not available in this JavaScript environment');
  return api;
}

/** The exports of smelu.wasm (native/wasm/entry.cc); pointers are byte offsets. */
export interface WasmExports {
  act_forward(kind: number, raw: number, x: number, y: number, n: number): void;
  act_backward(kind: number, raw: number, z: number, dy: number, dz: number, n: number): void;
  act_backward_from_output(kind: number, raw: number, y: number, dy: number, dz: number, n: number): void;
  optim_step(kind: number, hyper: number, w: number, g: number, s1: number, s2: number, n: number): void;
  pack_b(K: number, N: number, b: number, rs: number, cs: number, out: number): void;
  gemm(...args: number[]): void;
  column_sums(dz: number, m: number, n: number, db: number, accumulate: number): void;
  tile_nr(): number;
  a_scratch_floats(): number;
  set_stack_pointer(top: number): void;
  __heap_base: { value: number };
}

/** The operations helpers run, by index (the job word in shared memory holds the index). */
export const HELPER_OPS = ['gemm', 'pack_b'] as const;
export type HelperOp = (typeof HELPER_OPS)[number];

/** One call of an export with numeric arguments. */
export interface Job {
  op: HelperOp;
  args: number[];
}

/** Helper threads sharing the memory. `run` gives jobs[i] to helper i and returns at once. */
export interface WasmHelpers {
  /** Helpers available now (0 when none can be started). */
  count(): number;
  /** Starts (or stops) helpers so that `n` exist. */
  resize(n: number): void;
  run(jobs: Job[]): void;
  /** Blocks until every job given to `run` has finished. */
  wait(): void;
}

/** Job slot words (int32): 0 seq (bumped by the caller), 1 done (= seq when finished), 2 op, 3 args. */
export const JOB_SEQ = 0;
export const JOB_DONE = 1;

/**
 * The program of a helper once `module`, `memory`, `slot`, `stackTop` and `ops` are in scope:
 * instantiate on the shared memory, move the stack, run `announce`, then serve jobs forever.
 */
export function helperProgram(announce: string): string {
  return `
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
ex.set_stack_pointer(stackTop);
const words = new Int32Array(memory.buffer, slot, 4);
const args = new Float64Array(memory.buffer, slot + 16, ${JOB_MAX_ARGS});
${announce}
let seen = 0;
for (;;) {
  Atomics.wait(words, ${JOB_SEQ}, seen);
  seen = Atomics.load(words, ${JOB_SEQ});
  ex[ops[words[2]]](...args.subarray(0, words[3]));
  Atomics.store(words, ${JOB_DONE}, seen);
  Atomics.notify(words, ${JOB_DONE});
}`;
}

/**
 * The job-slot protocol of the helpers of both environments (Node worker_threads, browser Web
 * Workers): job i goes to slot i and is announced by bumping its seq word; the helper stores seq
 * into the done word when finished. How the caller waits for that is the environment's.
 */
export abstract class SlotHelpers implements WasmHelpers {
  private pending = 0;
  protected readonly layout: ReturnType<typeof wasmLayout>;

  constructor(
    protected readonly memory: WasmMemory,
    heapBase: number,
  ) {
    this.layout = wasmLayout(heapBase);
  }

  abstract count(): number;
  abstract resize(n: number): void;
  /** Returns once words[JOB_DONE] is `seq`. */
  protected abstract block(words: Int32Array, seq: number): void;

  run(jobs: Job[]): void {
    jobs.forEach((job, i) => {
      const slot = this.layout.slot(i);
      const words = new Int32Array(this.memory.buffer, slot, 4);
      new Float64Array(this.memory.buffer, slot + 16, job.args.length).set(job.args);
      words[2] = HELPER_OPS.indexOf(job.op);
      words[3] = job.args.length;
      Atomics.add(words, JOB_SEQ, 1);
      Atomics.notify(words, JOB_SEQ);
    });
    this.pending = jobs.length;
  }

  wait(): void {
    for (let i = 0; i < this.pending; i++) {
      const words = new Int32Array(this.memory.buffer, this.layout.slot(i), 4);
      this.block(words, Atomics.load(words, JOB_SEQ));
    }
    this.pending = 0;
  }
}

/** The one tier this backend has. */
export const WASM_ISA: IsaTier = 'wasm-simd128';

/** Pages of 64 KiB: the module's initial memory (see scripts/build-wasm.sh) and the 4 GiB cap. */
export const WASM_INITIAL_PAGES = 16;
export const WASM_MAX_PAGES = 65536;
const PAGE = 65536;
const MAX_BYTES = WASM_MAX_PAGES * PAGE;

/** Per helper: a 256-byte job slot (seq, done, op, nargs as int32, then float64 arguments). */
export const JOB_SLOT_BYTES = 256;
export const JOB_MAX_ARGS = (JOB_SLOT_BYTES - 16) / 8;
/** Per helper: its own stack (the module's stack size). */
export const HELPER_STACK_BYTES = 256 * 1024;
export const MAX_HELPERS = 15;

/** Below this many FLOPs per thread, a helper costs more than it saves. */
const MIN_FLOPS_PER_THREAD = 2e6;

interface WasmPacked extends PackedHandle {
  /** W in the module's panel layout (tile_nr columns per panel, all k rows). */
  readonly panels: Float32Array;
}

function isWasmPacked(w: PackedHandle): w is WasmPacked {
  return (w as Partial<WasmPacked>).panels instanceof Float32Array;
}

export type WasmBackend = Backend;

/** Bump allocator over the module's memory above `base`; reset at the start of every call. */
class Arena {
  private top: number;
  /** Views of the whole memory, made again after each grow. */
  f32!: Float32Array;
  f64!: Float64Array;
  constructor(
    private readonly memory: WasmMemory,
    public base: number,
  ) {
    this.top = base;
    this.view();
  }

  /** The last view handed out by floats(), where it starts, and the memory view it was cut from. */
  private last: Float32Array | null = null;
  private lastP = -1;
  private lastOf: Float32Array | null = null;

  /** Makes the views again (after the memory grew). */
  view(): void {
    this.f32 = new Float32Array(this.memory.buffer);
    this.f64 = new Float64Array(this.memory.buffer);
  }

  /**
   * A view of `n` floats at byte `p`. Calls repeat their layout, so the last view is handed out
   * again while it covers the same floats and the memory has not grown since (growing makes a new
   * f32; the module itself never grows its memory). Plain field compares: the typed array getters
   * (buffer, byteOffset) cost more than the copy's setup here.
   */
  floats(p: number, n: number): Float32Array {
    const v = this.last;
    if (v !== null && this.lastOf === this.f32 && this.lastP === p && v.length === n) return v;
    this.lastOf = this.f32;
    this.lastP = p;
    return (this.last = this.f32.subarray(p >> 2, (p >> 2) + n));
  }

  /** The float64 parameters `a` (a few values: element stores beat a TypedArray.set call). */
  putParams(a: Float64Array): number {
    const p = this.alloc(a.length * 8);
    const f64 = this.f64;
    for (let i = 0, q = p >> 3; i < a.length; i++) f64[q + i] = a[i];
    return p;
  }

  reset(): void {
    this.top = this.base;
  }

  /** `bytes` bytes, 16-aligned; grows the memory, or throws a RangeError past the 4 GiB cap. */
  alloc(bytes: number): number {
    const p = Math.ceil(this.top / 16) * 16;
    const end = p + bytes;
    if (!(end <= MAX_BYTES)) {
      throw new RangeError(
        `wasm backend: this call needs ${end} bytes of WebAssembly memory, more than its 4 GiB (wasm32) limit; use smaller arrays or the native backend`,
      );
    }
    const have = this.f32.byteLength;
    if (end > have) {
      this.memory.grow(Math.ceil((end - have) / PAGE));
      this.view();
    }
    this.top = end;
    return p;
  }
}

/** Blocks start at multiples of this (a cache line): a kernel's vector loads never split one. */
const BLOCK_ALIGN = 64;
/** Floats of the parameter slot of the calls on blocks (one cache line). */
const PARAMS_SLOT_FLOATS = BLOCK_ALIGN / 8;

/**
 * The heap of the arrays allocArray hands out on the wasm backend, in the shared memory between
 * the helpers' stacks and the arena: first fit over a sorted free list, neighbours merged on
 * release. The arena (per-call scratch) starts at `top`, above every block, and moves with it.
 */
class ArrayHeap {
  /** Free ranges [start, end) below top, sorted and never adjacent. */
  private readonly freeList: { start: number; end: number }[] = [];
  private top: number;
  /**
   * The activation parameters of the calls on blocks, in a slot of their own below them (those
   * calls use no arena), and a view of it (shared memory: growing never detaches it).
   */
  readonly paramsAt: number;
  readonly params: Float64Array;

  constructor(
    private readonly memory: WasmMemory,
    private readonly arena: Arena,
  ) {
    this.paramsAt = this.top = arena.base;
    this.take(BLOCK_ALIGN, PARAMS_SLOT_FLOATS);
    this.params = new Float64Array(memory.buffer, this.paramsAt, PARAMS_SLOT_FLOATS);
  }

  /** A zeroed array of `length` floats in the memory, registered as a block. */
  alloc(length: number): Float32Array {
    const bytes = Math.max(BLOCK_ALIGN, Math.ceil((length * 4) / BLOCK_ALIGN) * BLOCK_ALIGN);
    const start = this.take(bytes, length);
    // A buffer object of its own (the same memory): it names this block in the registry.
    let buffer: ArrayBufferLike;
    try {
      buffer = structuredClone(this.memory.buffer) as ArrayBufferLike;
    } catch (e) {
      this.give(start, start + bytes);
      throw e;
    }
    new Uint8Array(buffer, start, bytes).fill(0);
    let freed = false;
    const block: ArrayBlock = {
      start,
      end: start + length * 4,
      memory: this.memory,
      released: false,
      free: () => {
        if (!freed) this.give(start, start + bytes);
        freed = true;
      },
    };
    return registerBlock(new Float32Array(buffer, start, length), block);
  }

  private take(bytes: number, length: number): number {
    const i = this.freeList.findIndex((r) => r.end - r.start >= bytes);
    if (i >= 0) {
      const r = this.freeList[i];
      const start = r.start;
      if (r.end - start === bytes) this.freeList.splice(i, 1);
      else r.start += bytes;
      return start;
    }
    const start = this.top;
    const end = start + bytes;
    if (!(end <= MAX_BYTES)) {
      throw new RangeError(
        `length: ${length} floats do not fit in the wasm backend's memory (4 GiB (wasm32) in all, ${start} bytes in use); release arrays, use smaller ones, or the native backend`,
      );
    }
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      try {
        this.memory.grow(Math.ceil((end - have) / PAGE));
      } catch (e) {
        throw new RangeError(`length: cannot grow the wasm backend's memory to hold ${length} floats: ${(e as Error).message}`);
      }
      this.arena.view();
    }
    this.setTop(end);
    return start;
  }

  /** Returns [start, end) to the free list, merged with its neighbours (or with top). */
  private give(start: number, end: number): void {
    const list = this.freeList;
    let i = 0;
    while (i < list.length && list[i].start < start) i++;
    if (i > 0 && list[i - 1].end === start) start = list[--i].start, list.splice(i, 1);
    if (i < list.length && list[i].start === end) end = list[i].end, list.splice(i, 1);
    if (end === this.top) this.setTop(start);
    else list.splice(i, 0, { start, end });
  }

  private setTop(top: number): void {
    this.top = top;
    this.arena.base = top;
  }
}

/** One instance of the module on its own memory; `helpers` share that memory (null: none). */
export interface WasmInstance {
  exports: WasmExports;
  memory: WasmMemory;
  helpers: WasmHelpers | null;
}

/**
 * The backend over two instances of the module: `single` on an unshared memory for everything one
 * thread runs (copies into a shared buffer cost about 4x more in V8), and `shared` (with helpers;
 * null where shared memory is unavailable) for dense calls large enough to split.
 */
export function createWasmBackend(single: WasmInstance, shared: WasmInstance | null, defaultThreads: number): WasmBackend {
  const NR = single.exports.tile_nr();
  const A_SCRATCH_BYTES = single.exports.a_scratch_floats() * 4;
  const arenaOf = (inst: WasmInstance) => new Arena(inst.memory, wasmLayout(inst.exports.__heap_base.value).arenaBase);
  const singleArena = arenaOf(single);
  const sharedArena = shared ? arenaOf(shared) : singleArena;
  let threads = Math.max(1, shared?.helpers ? defaultThreads : 1);
  // The instance the current call runs on (set by use()).
  let ex = single.exports;
  let arena = singleArena;
  let helpers: WasmHelpers | null = null;

  /** Starts a call on `inst`: its exports, its arena (emptied), its helpers. */
  function use(inst: WasmInstance): void {
    ex = inst.exports;
    arena = inst === single ? singleArena : sharedArena;
    arena.reset();
    helpers = inst.helpers;
  }
  /** A dense call of `flops`: on the shared instance when it will be split over threads. */
  function useFor(flops: number): void {
    use(shared && threads > 1 && flops >= 2 * MIN_FLOPS_PER_THREAD ? shared : single);
  }

  const f32 = (p: number, n: number) => arena.f32.subarray(p >> 2, (p >> 2) + n);
  const put = (a: Float32Array, n: number) => {
    const p = arena.alloc(n * 4);
    arena.f32.set(n === a.length ? a : a.subarray(0, n), p >> 2);
    return p;
  };
  const putParams = (a: Float64Array) => arena.putParams(a);
  const get = (p: number, out: Float32Array, n: number) => out.set(arena.floats(p, n));

  // Arrays from allocArray live in the shared memory: calls on them run on the shared instance and
  // read and write them where they are (their address, `at`, is >= 0); other arrays are copied.
  const heap = shared ? new ArrayHeap(shared.memory, sharedArena) : null;
  const home: object = shared?.memory ?? {};
  // What forwardOnBlocks reads, looked up once.
  const paramsSlot = heap ? heap.params : new Float64Array(0);
  const paramsAt = heap ? heap.paramsAt : 0;
  const sharedForward = shared ? shared.exports.act_forward : () => {};
  /** Where `a` is when it is an allocArray array of this memory holding `count` floats, else -1. */
  const addr = (name: string, a: Float32Array | null, count: number) => (a === null ? -1 : addressIn(home, name, a, count));
  /** An input: where it is, else a copy in the arena. */
  const input = (at: number, a: Float32Array, n: number) => (at >= 0 ? at : put(a, n));
  /** An output: where it is, else arena space (copied from `a` first when the kernel accumulates into it). */
  const output = (at: number, a: Float32Array, n: number, load: boolean) => (at >= 0 ? at : load ? put(a, n) : arena.alloc(n * 4));
  /** Copies an output computed in the arena at p back into `a` (nothing when it was computed in place). */
  const back = (at: number, p: number, a: Float32Array, n: number) => {
    if (at < 0) get(p, a, n);
  };
  const panelsOf = (n: number) => Math.ceil(n / NR);

  /** Threads for `flops` of work split into at most `units` parts. */
  function threadsFor(flops: number, units: number): number {
    const want = Math.min(threads, units, Math.max(1, Math.floor(flops / MIN_FLOPS_PER_THREAD)));
    if (want <= 1 || helpers === null) return 1;
    if (helpers.count() < want - 1) helpers.resize(Math.min(threads - 1, MAX_HELPERS));
    return Math.min(want, helpers.count() + 1);
  }

  /** Runs job(0..parts-1): part 0 here, the others on helpers. */
  function parallel(parts: number, job: (i: number) => Job): void {
    if (parts > 1) helpers!.run(Array.from({ length: parts - 1 }, (_, i) => job(i + 1)));
    const own = job(0);
    try {
      (ex[own.op] as (...a: number[]) => void)(...own.args);
    } finally {
      if (parts > 1) helpers!.wait();
    }
  }

  /** Row range of part i of `parts` over `rows` rows, in whole tiles of 8 rows where possible. */
  const rowBegin = (rows: number, parts: number, i: number) => Math.min(rows, Math.round((Math.ceil(rows / 8) * i) / parts) * 8);

  /** C [M x N] = A B over row parts (see GemmCall in native/wasm/gemm_wasm.h). */
  function gemmRows(
    M: number, N: number, K: number, a: number, rs: number, cs: number, bPacked: number, c: number,
    loadC: boolean, kind: number, raw: number, bias: number, z: number,
  ): void {
    const parts = threadsFor(2 * M * N * K, Math.ceil(M / 8));
    const scratch = arena.alloc(parts * A_SCRATCH_BYTES);
    parallel(parts, (i) => {
      const r0 = rowBegin(M, parts, i), r1 = rowBegin(M, parts, i + 1);
      const aRow = a + r0 * (cs === 1 ? rs : 1) * 4;
      return {
        op: 'gemm',
        args: [r1 - r0, N, K, aRow, rs, cs, bPacked, c + r0 * N * 4, N, loadC ? 1 : 0, kind, raw, bias, z ? z + r0 * N * 4 : 0, scratch + i * A_SCRATCH_BYTES],
      };
    });
  }

  /** B [K x N] (element (p, j) at b + 4 (p rs + j cs)) packed into panels, split by panels. */
  function packB(K: number, N: number, b: number, rs: number, cs: number): number {
    const panels = panelsOf(N);
    const out = arena.alloc(Math.max(panels * K * NR, 1) * 4);
    const parts = threadsFor(4 * K * N, panels);
    parallel(parts, (i) => {
      const q0 = Math.floor((panels * i) / parts), q1 = Math.floor((panels * (i + 1)) / parts);
      const n = Math.min(N, q1 * NR) - q0 * NR;
      return { op: 'pack_b', args: [K, Math.max(n, 0), b + q0 * NR * cs * 4, rs, cs, out + q0 * K * NR * 4] };
    });
    return out;
  }

  /**
   * y = f(x) with x and y both arrays from allocArray: the per-call path of small activations,
   * with nothing around the kernel but the parameters' stores (no arena, no copies).
   */
  function forwardOnBlocks(code: number, params: Float64Array, xAt: number, yAt: number, n: number): void {
    checkCode(code, false);
    for (let i = 0; i < params.length; i++) paramsSlot[i] = params[i];
    sharedForward(code, paramsAt, xAt, yAt, n);
  }

  /** out = f(a) (act_forward) or b * f'(a) (the backward ops), in place over b's copy when out is not resident. */
  function elementwise(op: 'act_forward' | 'act_backward' | 'act_backward_from_output', code: number, params: Float64Array, a: Float32Array, b: Float32Array | null, out: Float32Array): void {
    checkCode(code, op === 'act_backward_from_output');
    const n = out.length;
    const aAt = addr('a', a, n), bAt = addr('b', b, n), outAt = addr('out', out, n);
    use(aAt < 0 && bAt < 0 && outAt < 0 ? single : shared!);
    const raw = putParams(params), ap = input(aAt, a, n);
    if (b === null) {
      const yp = outAt >= 0 ? outAt : aAt < 0 ? ap : arena.alloc(n * 4);
      ex.act_forward(code, raw, ap, yp, n);
      return back(outAt, yp, out, n);
    }
    const bp = input(bAt, b, n);
    const outp = outAt >= 0 ? outAt : bAt < 0 ? bp : arena.alloc(n * 4);
    ex[op as 'act_backward'](code, raw, ap, bp, outp, n);
    back(outAt, outp, out, n);
  }

  function denseForward({ m, k, n, x, w, b, code, params, y, z }: DenseForwardCall): void {
    if (!(w instanceof Float32Array) && !isWasmPacked(w)) {
      throw new TypeError('wasm backend: W must be a Float32Array or a handle from packWeights of the wasm backend');
    }
    if (m === 0 || n === 0) return;
    const xAt = addr('x', x, m * k), wAt = w instanceof Float32Array ? addr('W', w, k * n) : -1;
    const yAt = addr('out', y, m * n), zAt = addr('zOut', z, m * n);
    if (xAt < 0 && wAt < 0 && yAt < 0 && zAt < 0) useFor(2 * m * k * n);
    else use(shared!);
    const raw = putParams(params);
    const xp = input(xAt, x, m * k);
    const bPacked = w instanceof Float32Array ? packB(k, n, input(wAt, w, k * n), n, 1) : put(w.panels, w.panels.length);
    let bias = 0;
    if (b) {
      bias = arena.alloc(panelsOf(n) * NR * 4);
      const view = f32(bias, panelsOf(n) * NR);
      view.fill(0);
      view.set(b.subarray(0, n));
    }
    const yp = output(yAt, y, m * n, false);
    const zp = z ? output(zAt, z, m * n, false) : 0;
    gemmRows(m, n, k, xp, k, 1, bPacked, yp, false, code, raw, bias, zp);
    back(yAt, yp, y, m * n);
    if (z) back(zAt, zp, z, m * n);
  }

  function denseBackward(c: DenseBackwardCall): void {
    const { m, k, n, x, w, dy, saved, savedIsOutput, code, params, dx, dW, db, accumulate } = c;
    checkCode(code, savedIsOutput);
    const mk = m * k, kn = k * n, mn = m * n;
    const at = [addr('x', x, mk), addr('W', w, kn), addr('dy', dy, mn), addr('saved', saved, mn), addr('dx', dx, mk), addr('dW', dW, kn), addr('db', db, n)];
    const [xAt, wAt, dyAt, savedAt, dxAt, dwAt, dbAt] = at;
    if (at.every((a) => a < 0)) useFor(4 * m * k * n);
    else use(shared!);
    const raw = putParams(params);
    const dz = arena.alloc(mn * 4);
    const act = ex[savedIsOutput ? 'act_backward_from_output' : 'act_backward'];
    act(code, raw, input(savedAt, saved, mn), input(dyAt, dy, mn), dz, mn);
    if (db) {
      const dbp = output(dbAt, db, n, accumulate);
      ex.column_sums(dz, m, n, dbp, accumulate ? 1 : 0);
      back(dbAt, dbp, db, n);
    }
    if (k === 0 || n === 0) return;
    // dW [k x n] (+)= x^T dZ: A = x read transposed (row stride 1, k stride k).
    const dwp = output(dwAt, dW, k * n, accumulate);
    const xp = input(xAt, x, m * k);
    gemmRows(k, n, m, xp, 1, k, packB(m, n, dz, n, 1), dwp, accumulate, -1, 0, 0, 0);
    back(dwAt, dwp, dW, k * n);
    if (!dx || m === 0) return;
    // dx [m x k] = dZ W^T: B(p, j) = W[j, p], row stride 1 and column stride n.
    const dxp = output(dxAt, dx, m * k, false);
    gemmRows(m, k, n, dz, n, 1, packB(n, k, input(wAt, w, k * n), 1, n), dxp, false, -1, 0, 0, 0);
    back(dxAt, dxp, dx, m * k);
  }

  const backend: WasmBackend = {
    name: 'wasm',
    info(): BackendInfo {
      return { backend: 'wasm', isa: WASM_ISA, supportedIsas: [WASM_ISA], threads, compiler: 'clang 14 (wasm32, SIMD128)' };
    },
    setIsa: (isa) => isa === WASM_ISA,
    setThreads(n: number): void {
      const pool = shared?.helpers ?? null;
      threads = Math.max(1, Math.min(n, pool ? MAX_HELPERS + 1 : 1));
      if (pool && pool.count() > threads - 1) pool.resize(threads - 1);
    },
    actForward(code, params, x, y): void {
      const n = y.length;
      const xAt = addr('x', x, n);
      const yAt = xAt >= 0 ? addr('out', y, n) : -1;
      if (yAt >= 0 && params.length <= PARAMS_SLOT_FLOATS) forwardOnBlocks(code, params, xAt, yAt, n);
      else elementwise('act_forward', code, params, x, null, y);
    },
    actBackward: (code, params, z, dy, dz) => elementwise('act_backward', code, params, z, dy, dz),
    actBackwardFromOutput: (code, params, y, dy, dz) => elementwise('act_backward_from_output', code, params, y, dy, dz),
    denseForward,
    denseBackward,
    allocArray: (length) => (heap ? heap.alloc(length) : plainBlock(length)),
    packWeights(k: number, n: number, w: Float32Array): PackedHandle {
      use(single);
      const floats = panelsOf(n) * k * NR;
      const p = packB(k, n, put(w, k * n), n, 1);
      const handle: WasmPacked = { k, n, panels: f32(p, floats).slice() };
      return handle;
    },
    optimStep(kind, hyper, w, g, s1, s2): void {
      checkOptimArgs(kind, hyper, w, g, s1, s2);
      const n = w.length;
      const at = [addr('w', w, n), addr('g', g, n), addr('s1', s1, n), addr('s2', s2, n)];
      const [wAt, gAt, s1At, s2At] = at;
      use(at.every((a) => a < 0) ? single : shared!);
      const h = putParams(hyper), wp = input(wAt, w, n), gp = input(gAt, g, n);
      const s1p = s1 ? input(s1At, s1, n) : 0, s2p = s2 ? input(s2At, s2, n) : 0;
      ex.optim_step(kind, h, wp, gp, s1p, s2p, n);
      back(wAt, wp, w, n);
      if (s1) back(s1At, s1p, s1, n);
      if (s2) back(s2At, s2p, s2, n);
    },
    // Computed on the calling thread (browsers, and the async worker itself); in Node,
    // loadWasmBackend replaces these with calls that run in a worker (wasm_node.ts, AsyncDense).
    async denseForwardAsync(c) {
      denseForward(c);
    },
    async denseBackwardAsync(c) {
      denseBackward(c);
    },
  };
  return backend;
}

// Module constants, not reads of the ./types module's exports on every call.
const KIND_COUNT = ACTIVATION_KINDS.length;
const RELU = ACTIVATION_CODES.relu;
const SMELU = ACTIVATION_CODES.smelu;

/** What the addon re-checks of an activation code; relu and smelu alone work from the output. */
function checkCode(code: number, fromOutput: boolean): void {
  if (!(Number.isInteger(code) && code >= 0 && code < KIND_COUNT)) throw new RangeError('wasm backend: activation code out of range');
  if (fromOutput && code !== RELU && code !== SMELU) throw new RangeError('wasm backend: backward from the output needs relu or smelu');
}

function requireF32(a: unknown, name: string, length: number): asserts a is Float32Array {
  if (!(a instanceof Float32Array)) throw new TypeError(`wasm backend: ${name} must be a Float32Array`);
  if (a.length !== length) throw new RangeError(`wasm backend: ${name} has the wrong length (${a.length}, expected ${length})`);
}

/**
 * What the addon re-checks for optimStep (its callers in lib/nn pass validated arguments; this
 * keeps a direct call from reading garbage): the kind, 8 hyperparameters, and the arrays it uses.
 */
function checkOptimArgs(kind: unknown, hyper: unknown, w: unknown, g: unknown, s1: unknown, s2: unknown): void {
  if (typeof kind !== 'number') throw new TypeError('wasm backend: optimizer kind must be a number');
  if (!(Number.isInteger(kind) && kind >= 0 && kind <= 2)) throw new RangeError('wasm backend: optimizer kind out of range');
  if (!(hyper instanceof Float64Array)) throw new TypeError('wasm backend: optimizer hyperparameters must be a Float64Array');
  if (hyper.length < 8) throw new RangeError('wasm backend: optimizer hyperparameters must hold 8 values');
  if (!(w instanceof Float32Array)) throw new TypeError('wasm backend: w must be a Float32Array');
  requireF32(g, 'g', w.length);
  const states = kind === 2 ? 2 : kind === 1 || hyper[2] !== 0 ? 1 : 0;
  if (states >= 1) requireF32(s1, 's1', w.length);
  if (states >= 2) requireF32(s2, 's2', w.length);
}

/**
 * Where things sit above the module's data (__heap_base): one job slot per helper, then one stack
 * per helper (untouched pages of a grown memory cost no physical memory), then the arena.
 */
export function wasmLayout(heapBase: number): { slot(i: number): number; stackTop(i: number): number; arenaBase: number } {
  const stacks = heapBase + MAX_HELPERS * JOB_SLOT_BYTES;
  return {
    slot: (i) => heapBase + i * JOB_SLOT_BYTES,
    stackTop: (i) => stacks + (i + 1) * HELPER_STACK_BYTES,
    arenaBase: stacks + MAX_HELPERS * HELPER_STACK_BYTES,
  };
}

/**
 * The module bytes with the memory import declared unshared (its limits flag without the shared
 * bit): the same code on an ordinary memory, for calls that one thread runs. smelu.wasm imports
 * its memory only; anything else is refused.
 */
export function withUnsharedMemory(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes); // a copy (Buffer.prototype.slice would be a view)
  let pos = 8; // magic and version
  const leb = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const b = out[pos++];
      value += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return value;
    }
  };
  while (pos < out.length) {
    const id = out[pos++];
    const size = leb();
    if (id !== 2) {
      pos += size;
      continue;
    }
    for (let count = leb(); count > 0; count--) {
      const moduleName = leb();
      pos += moduleName;
      const fieldName = leb();
      pos += fieldName;
      if (out[pos++] !== 2) throw new Error('smelu.wasm: unexpected import (only the memory is imported)');
      out[pos] &= ~0x02; // limits flags: bit 0 max present, bit 1 shared
      return out;
    }
  }
  throw new Error('smelu.wasm: no memory import found');
}
