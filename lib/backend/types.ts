/**
 * The contract between the public API and a compute backend (the native addon or the TypeScript
 * fallback). The public API validates every argument first; a backend trusts what it is given:
 * lengths match the dims, `code`/`params` come from a validated ActivationSpec, outputs do not
 * alias inputs except exactly in place where that is documented.
 */

/** 'native': the Node-API addon; 'wasm': the WebAssembly build of the same kernels; 'js': the pure TypeScript fallback. */
export type BackendName = 'native' | 'wasm' | 'js';

/** An ISA tier of the native backend; 'js' for the TypeScript fallback. */
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

export interface Backend {
  readonly name: BackendName;
  info(): BackendInfo;
  /** Forces a tier; returns false when this CPU cannot run it. */
  setIsa(isa: IsaTier): boolean;
  setThreads(n: number): void;

  /** y = f(x) elementwise; y may be x (exactly in place). */
  actForward(code: number, params: Float64Array, x: Float32Array, y: Float32Array): void;
  /** dz = dy * f'(z); dz may be z or dy. */
  actBackward(code: number, params: Float64Array, z: Float32Array, dy: Float32Array, dz: Float32Array): void;
  /** dz = dy * f'(x) computed from y = f(x) (relu and smelu only); dz may be y or dy. */
  actBackwardFromOutput(
    code: number,
    params: Float64Array,
    y: Float32Array,
    dy: Float32Array,
    dz: Float32Array,
  ): void;

  /**
   * y = f(x W + b), x [m x k], W [k x n] row-major (or packed), b [n] or null.
   * z (when not null) receives x W + b before the activation.
   */
  denseForward(
    m: number,
    k: number,
    n: number,
    x: Float32Array,
    w: Float32Array | PackedHandle,
    b: Float32Array | null,
    code: number,
    params: Float64Array,
    y: Float32Array,
    z: Float32Array | null,
  ): void;
  /**
   * Given dy [m x n] and the saved tensor [m x n] (z, or y when savedIsOutput),
   * dZ = dy * f'(.), then dx = dZ W^T [m x k] (when dx not null), dW (+)= x^T dZ [k x n],
   * db (+)= column sums of dZ [n] (when db not null). `accumulate` adds into dW and db.
   * Reductions over the batch run in a fixed order whatever the thread count.
   */
  denseBackward(
    m: number,
    k: number,
    n: number,
    x: Float32Array,
    w: Float32Array,
    dy: Float32Array,
    saved: Float32Array,
    savedIsOutput: boolean,
    code: number,
    params: Float64Array,
    dx: Float32Array | null,
    dW: Float32Array,
    db: Float32Array | null,
    accumulate: boolean,
  ): void;
  packWeights(k: number, n: number, w: Float32Array): PackedHandle;

  /**
   * One optimizer update in place (native backend only; the optimizers fall back to their own loops
   * without it): kind 0 sgd, 1 adagrad, 2 adam / adamw; `hyper` a Float64Array of 8 slots
   * (sgd [lr, l2, momentum, nesterov 0|1], adagrad [lr, l2, eps],
   * adam [lr, l2, beta1, beta2, eps, 1 - beta1^t, 1 - beta2^t, shrink]). g, s1 and s2 have w's
   * length; s1 / s2 are the state arrays the kind uses (null otherwise). Computed in float32.
   */
  optimStep?(
    kind: number,
    hyper: Float64Array,
    w: Float32Array,
    g: Float32Array,
    s1: Float32Array | null,
    s2: Float32Array | null,
  ): void;

  /** Same as denseForward, off the main thread. */
  denseForwardAsync(...args: Parameters<Backend['denseForward']>): Promise<void>;
  denseBackwardAsync(...args: Parameters<Backend['denseBackward']>): Promise<void>;
}
