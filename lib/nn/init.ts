/**
 * Weight initializers, all drawn from the seeded {@link Rng}: the same seed gives the same bits.
 * Fan-in / fan-out follow the usual Dense convention (W is [fanIn x fanOut]).
 */
import { Rng } from './rng';

export type InitializerName =
  | 'glorot_uniform'
  | 'glorot_normal'
  | 'he_uniform'
  | 'he_normal'
  | 'zeros'
  | 'ones';

export type Initializer =
  | InitializerName
  | { kind: 'uniform'; limit: number }
  | { kind: 'normal'; std: number }
  | { kind: 'constant'; value: number };

export const INITIALIZER_NAMES: readonly InitializerName[] = [
  'glorot_uniform',
  'glorot_normal',
  'he_uniform',
  'he_normal',
  'zeros',
  'ones',
];

/** Checks an initializer descriptor early (at layer construction), with a message naming it. */
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

/** Fills `out` from `init`. */
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
