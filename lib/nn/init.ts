/**
 * Weight initializers, all drawn from the seeded {@link Rng}: the same seed gives the same bits.
 * Fan-in / fan-out follow the usual Dense convention (W is [fanIn x fanOut]).
 */
import { Rng } from './rng';

/**
 * Named initializers. Glorot: limit sqrt(6 / (fanIn + fanOut)) (uniform) or std
 * sqrt(2 / (fanIn + fanOut)) (normal). He: limit sqrt(6 / fanIn) or std sqrt(2 / fanIn).
 */
export type InitializerName =
  | 'glorot_uniform'
  | 'glorot_normal'
  | 'he_uniform'
  | 'he_normal'
  | 'zeros'
  | 'ones';

/** A named initializer, or an explicit uniform / normal / constant fill. */
export type Initializer =
  | InitializerName
  | {
      /** Uniform on [-limit, limit). */
      kind: 'uniform';
      /** Half-width, finite and >= 0. */
      limit: number;
    }
  | {
      /** Normal with mean 0. */
      kind: 'normal';
      /** Standard deviation, finite and >= 0. */
      std: number;
    }
  | {
      /** Every value the same. */
      kind: 'constant';
      /** The value, finite. */
      value: number;
    };

/** Every {@link InitializerName}. */
export const INITIALIZER_NAMES: readonly InitializerName[] = [
  'glorot_uniform',
  'glorot_normal',
  'he_uniform',
  'he_normal',
  'zeros',
  'ones',
];

/**
 * Checks an initializer descriptor early (at layer construction), with a message naming it.
 * @param init the value to check.
 * @param where prefix for the error message, e.g. 'dense.init'.
 * @returns `init`, typed.
 * @throws TypeError when it is not a known name or a well-formed uniform / normal / constant object.
 */
export function checkInitializer(init: unknown, where: string): Initializer {
  if (typeof init === 'string' && (INITIALIZER_NAMES as readonly string[]).includes(init)) {
    return init as Initializer;
  }
  if (init && typeof init === 'object') {
    const o = init as Record<string, unknown>;
    const num = (k: string): boolean => typeof o[k] === 'number' && Number.isFinite(o[k] as number);
    if (o.kind === 'uniform' && num('limit') && (o.limit as number) >= 0) return init as Initializer;
    if (o.kind === 'normal' && num('std') && (o.std as number) >= 0) return init as Initializer;
    if (o.kind === 'constant' && num('value')) return init as Initializer;
  }
  throw new TypeError(
    `${where}: initializer must be one of ${INITIALIZER_NAMES.join(', ')} or ` +
      `{kind:'uniform',limit} / {kind:'normal',std} / {kind:'constant',value}; got ${JSON.stringify(init)}`,
  );
}

/**
 * Fills `out` from `init`. Deterministic: a function of `init`, the fans and the state of `rng`
 * (which it advances; zeros, ones and constant draw nothing).
 * @param out the tensor to fill.
 * @param init the initializer (not validated here: see {@link checkInitializer}).
 * @param fanIn input width of the layer (W is [fanIn x fanOut]).
 * @param fanOut output width of the layer.
 * @param rng the generator to draw from.
 */
export function initialize(out: Float32Array, init: Initializer, fanIn: number, fanOut: number, rng: Rng): void {
  if (typeof init === 'string') {
    switch (init) {
      case 'zeros':
        out.fill(0);
        return;
      case 'ones':
        out.fill(1);
        return;
      case 'glorot_uniform':
        return fillUniform(out, Math.sqrt(6 / (fanIn + fanOut)), rng);
      case 'glorot_normal':
        return fillNormal(out, Math.sqrt(2 / (fanIn + fanOut)), rng);
      case 'he_uniform':
        return fillUniform(out, Math.sqrt(6 / fanIn), rng);
      case 'he_normal':
        return fillNormal(out, Math.sqrt(2 / fanIn), rng);
    }
  }
  switch (init.kind) {
    case 'uniform':
      return fillUniform(out, init.limit, rng);
    case 'normal':
      return fillNormal(out, init.std, rng);
    case 'constant':
      out.fill(init.value);
      return;
  }
}

function fillUniform(out: Float32Array, limit: number, rng: Rng): void {
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng.next() - 1) * limit;
}

function fillNormal(out: Float32Array, std: number, rng: Rng): void {
  for (let i = 0; i < out.length; i++) out[i] = rng.normal() * std;
}
