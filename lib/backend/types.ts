/**
 * The contract between the public API and a compute backend (the native addon, its WebAssembly
 * build, or the TypeScript fallback). The public API validates every argument first; a backend trusts what it is given:
 * lengths match the dims, `code`/`params` come from a validated ActivationSpec, outputs do not
 * alias inputs except exactly in place where that is documented.
 */

/** The activation families, by the one name each is known by in C++, TypeScript, docs and CLI. */
export const ACTIVATION_KINDS = [
  'identity',
  'relu',
  'smelu',
  'gsmelu',
  'rescu2',
  'gelu',
  'gelu_tanh',
  'swish',
  'softplus',
  'sigmoid',
] as const;

/** One of the ACTIVATION_KINDS names, e.g. 'smelu'. */
export type ActivationKind = (typeof ACTIVATION_KINDS)[number];

/** Numeric code of each kind: the index in ACTIVATION_KINDS, the same as native `ActKind`. */
export const ACTIVATION_CODES: Readonly<Record<ActivationKind, number>> = Object.freeze(
  Object.fromEntries(ACTIVATION_KINDS.map((k, i) => [k, i])) as Record<ActivationKind, number>,
);

/** 'native': the Node-API addon; 'wasm': the WebAssembly build of the same kernels; 'js': the pure TypeScript fallback. */
export type BackendName = 'native' | 'wasm' | 'js';

/** An ISA tier of the native backend; 'wasm-simd128' for the wasm backend, 'js' for the TypeScript fallback. */
export type IsaTier = 'scalar' | 'avx2' | 'avx512' | 'neon' | 'wasm-simd128' | 'js';

/** Opaque handle to W packed once for repeated forwards (see packWeights). */
export interface PackedHandle {
  readonly k: number;
  readonly n: number;
}

/** The compute backend in use, as reported by `info()`. */
export interface BackendInfo {
  /** Which backend runs the kernels. */
  backend: BackendName;
  /** The ISA tier in use ('js' for the TypeScript backend). */
  isa: IsaTier;
  /** Tiers this CPU and OS can run, lowest first. */
  supportedIsas: IsaTier[];
  /** Thread pool size including the calling thread (1 for js). */
  threads: number;
  /** Compiler that built the addon ('' for js). */
  compiler: string;
}

/** One dense forward, validated: y = f(x W + b); z (when not null) receives x W + b. */
export interface DenseForwardCall {
  m: number;
  k: number;
  n: number;
  /** x [m x k]. */
  x: Float32Array;
  /** W [k x n] row-major, or a handle from the same backend's packWeights. */
  w: Float32Array | PackedHandle;
  /** b [n] or null. */
  b: Float32Array | null;
  /** The activation's code and parameter slots (from a validated ActivationSpec). */
  code: number;
  params: Float64Array;
  /** y [m x n]. */
  y: Float32Array;
  /** z [m x n] or null. */
  z: Float32Array | null;
}

/**
 * One dense backward, validated: given dy [m x n] and the saved tensor [m x n] (z, or y when
 * savedIsOutput), dZ = dy * f'(.), then dx = dZ W^T [m x k] (when dx not null), dW (+)= x^T dZ
 * [k x n], db (+)= column sums of dZ [n] (when db not null). `accumulate` adds into dW and db.
 */
export interface DenseBackwardCall {
  m: number;
  k: number;
  n: number;
  x: Float32Array;
  w: Float32Array;
  dy: Float32Array;
  saved: Float32Array;
  savedIsOutput: boolean;
  code: number;
  params: Float64Array;
  dx: Float32Array | null;
  dW: Float32Array;
  db: Float32Array | null;
  accumulate: boolean;
}

/**
 * One optimizer update in place: kind 0 sgd, 1 adagrad, 2 adam / adamw; `hyper` a Float64Array of 8
 * slots (sgd [lr, l2, momentum, nesterov 0|1], adagrad [lr, l2, eps],
 * adam [lr, l2, beta1, beta2, eps, 1 - beta1^t, 1 - beta2^t, shrink]). g, s1 and s2 have w's
 * length; s1 / s2 are the state arrays the kind uses (null otherwise).
 */
export type OptimStep = (
  kind: number,
  hyper: Float64Array,
  w: Float32Array,
  g: Float32Array,
  s1: Float32Array | null,
  s2: Float32Array | null,
) => void;

/** An elementwise activation call: out = f(a) (forward) or dy * f'(.) (backward). */
export type ActForward = (code: number, params: Float64Array, x: Float32Array, y: Float32Array) => void;
export type ActBackward = (code: number, params: Float64Array, saved: Float32Array, dy: Float32Array, dz: Float32Array) => void;

/**
 * The native addon's exports (native/addon.cc), declared once: its raw positional protocol. Only
 * backend/native.ts calls these.
 */
export interface NativeAddon {
  info(): { isa: IsaTier; supportedIsas: IsaTier[]; threads: number; compiler: string };
  setIsa(isa: string): boolean;
  setThreads(n: number): void;
  actForward: ActForward;
  actBackward: ActBackward;
  actBackwardFromOutput: ActBackward;
  /** Runs a kernel `reps` times inside C++ (mode 0 forward, 1 backward, 2 from output, 3 memcpy); ns. */
  actBench(code: number, params: Float64Array, x: Float32Array, y: Float32Array, reps: number, mode: number): number;
  denseForward(...args: DenseForwardArgs): void;
  denseForwardAsync(...args: DenseForwardArgs): Promise<void>;
  denseBackward(...args: DenseBackwardArgs): void;
  denseBackwardAsync(...args: DenseBackwardArgs): Promise<void>;
  /** Returns an External holding W packed for the micro-kernels. */
  packWeights(k: number, n: number, w: Float32Array): object;
  optimStep: OptimStep;
  /** The thread pool's limit (C++ kMaxThreads); absent in addons built before it was exported. */
  maxThreads?: number;
}

/** The addon's positional dense forward arguments (W plain or the External of packWeights). */
type DenseForwardArgs = [
  m: number, k: number, n: number, x: Float32Array, w: Float32Array | object, b: Float32Array | null,
  code: number, params: Float64Array, y: Float32Array, z: Float32Array | null,
];
/** The addon's positional dense backward arguments. */
type DenseBackwardArgs = [
  m: number, k: number, n: number, x: Float32Array, w: Float32Array, dy: Float32Array, saved: Float32Array,
  savedIsOutput: boolean, code: number, params: Float64Array, dx: Float32Array | null, dW: Float32Array,
  db: Float32Array | null, accumulate: boolean,
];

/** What every backend (native, wasm, js) implements; tsc checks each against it. */
export interface Backend {
  readonly name: BackendName;
  info(): BackendInfo;
  /** Forces a tier; returns false when this CPU cannot run it. */
  setIsa(isa: IsaTier): boolean;
  setThreads(n: number): void;

  /** y = f(x) elementwise; y may be x (exactly in place). */
  actForward: ActForward;
  /** dz = dy * f'(z); dz may be z or dy. */
  actBackward: ActBackward;
  /** dz = dy * f'(x) computed from y = f(x) (kinds with backwardFromOutput only); dz may be y or dy. */
  actBackwardFromOutput: ActBackward;

  denseForward(c: DenseForwardCall): void;
  /** Reductions over the batch run in a fixed order whatever the thread count. */
  denseBackward(c: DenseBackwardCall): void;
  packWeights(k: number, n: number, w: Float32Array): PackedHandle;
  /** One optimizer update of a dense tensor (see {@link OptimStep}). */
  optimStep: OptimStep;

  /**
   * A zeroed Float32Array of `length` for allocArray: in the backend's own memory where it has one
   * (wasm), so that calls on it need no copies; a registered plain array elsewhere.
   */
  allocArray(length: number): Float32Array;

  /** Same as denseForward, off the main thread. */
  denseForwardAsync(c: DenseForwardCall): Promise<void>;
  denseBackwardAsync(c: DenseBackwardCall): Promise<void>;
}
