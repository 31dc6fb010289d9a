/**
 * Parity vectors for other frameworks: inputs, outputs and derivatives of every activation at a
 * few parameter settings, from the float64 reference (lib/reference.ts), each case with the
 * PyTorch expression it corresponds to. `node scripts/parity.js` writes them to
 * docs/parity/activations.json; a test checks that the file equals what this module generates.
 */
import { knotsOf, paramsOf, refDerivative, refForward, type ActivationKind } from './reference';

/** One activation at one parameter setting. */
export interface ParityCase {
  /** The activation kind (smelu's name). */
  kind: ActivationKind;
  /** Its parameters, by smelu's names (what the PyTorch expression binds). */
  params: Record<string, number>;
  /** A PyTorch expression of x (a tensor) and the parameters, e.g. `F.silu(x)`. */
  torch: string;
  /** Inputs, every one a float32 value. */
  x: number[];
  /** f(x) and f'(x) in float64 (the reference). */
  float64: { y: number[]; dy: number[] };
  /** The same rounded to float32. */
  float32: { y: number[]; dy: number[] };
}

/** The whole file. */
export interface ParityFile {
  /** What the file is. */
  about: string;
  /** How far an implementation may be from the values (|got - want| <= tol * max(1, |want|)). */
  tolerance: { float32: number; float64: number };
  /** Names the expressions use: `torch`, `F = torch.nn.functional`, `x`, and the case's params. */
  imports: string;
  /** One case per activation and parameter setting. */
  cases: ParityCase[];
}

const WHERE_ZERO = 'torch.zeros_like(x)';

/** Every kind at the settings that exercise its pieces, with its PyTorch expression. */
const SETTINGS: Array<{ kind: ActivationKind; params: Record<string, number>; torch: string }> = [
  { kind: 'identity', params: {}, torch: 'x' },
  { kind: 'relu', params: {}, torch: 'F.relu(x)' },
  ...[0.5, 1, 2].map((beta) => ({
    kind: 'smelu' as const, params: { beta },
    torch: `torch.where(x <= -beta, ${WHERE_ZERO}, torch.where(x >= beta, x, (x + beta) ** 2 / (4 * beta)))`,
  })),
  ...[
    { gNeg: 0, gPos: 1, alpha: 1, beta: 1, t: 0 },
    { gNeg: 0.1, gPos: 1.2, alpha: 0.5, beta: 2, t: -0.25 },
  ].map((params) => ({
    kind: 'gsmelu' as const, params,
    torch: 'torch.where(x <= -alpha, t + gNeg * x, torch.where(x >= beta, t + gPos * x - (gPos - gNeg) * (beta - alpha) / 2, ' +
      't + gNeg * x + (gPos - gNeg) * (x + alpha) ** 2 / (2 * (alpha + beta))))',
  })),
  ...[0.5, 1].map((beta) => ({
    kind: 'rescu2' as const, params: { beta },
    torch: `torch.where(x <= -beta, ${WHERE_ZERO}, torch.where(x <= 0, (x + beta) ** 3 / (6 * beta ** 2), ` +
      'torch.where(x < beta, x + (beta - x) ** 3 / (6 * beta ** 2), x)))',
  })),
  { kind: 'gelu', params: {}, torch: "F.gelu(x, approximate='none')" },
  { kind: 'gelu_tanh', params: {}, torch: "F.gelu(x, approximate='tanh')" },
  { kind: 'swish', params: { beta: 1 }, torch: 'F.silu(x)' },
  { kind: 'swish', params: { beta: 1.702 }, torch: 'x * torch.sigmoid(beta * x)' },
  ...[{ beta: 1, threshold: 20 }, { beta: 2, threshold: 5 }].map((params) => ({
    kind: 'softplus' as const, params, torch: 'F.softplus(x, beta=beta, threshold=threshold)',
  })),
  { kind: 'sigmoid', params: {}, torch: 'torch.sigmoid(x)' },
];

const BASE_X = [-8, -4, -2, -1.5, -1, -0.75, -0.5, -0.3, -0.125, 0, 0.125, 0.3, 0.5, 0.75, 1, 1.1, 1.5, 2, 3.3, 4, 8];

/** The base inputs, the kind's knots and (softplus) both sides of the threshold, as float32, sorted. */
function inputsOf(kind: ActivationKind, params: Record<string, number>, p: Float64Array): number[] {
  const extra = [...knotsOf(kind, p)];
  if (kind === 'softplus') extra.push(params.threshold / params.beta - 0.5, params.threshold / params.beta + 0.5);
  const xs = [...BASE_X, ...extra].map(Math.fround).filter(Number.isFinite);
  return [...new Set(xs)].sort((a, b) => a - b);
}

/**
 * The parity vectors.
 * @returns the file's contents.
 */
export function parityVectors(): ParityFile {
  return {
    about: 'Activations of smelu: inputs x, f(x) and df/dx (upstream gradient 1) from the float64 reference, and the same rounded to float32. ' +
      'Each case names the PyTorch expression it equals; evaluate it at x (torch.float32 or torch.float64) and compare.',
    tolerance: { float32: 1e-6, float64: 1e-12 },
    imports: 'import torch; import torch.nn.functional as F  # x: a tensor of the case\'s inputs; the case\'s params as Python floats',
    cases: SETTINGS.map(({ kind, params, torch }) => {
      const p = paramsOf({ kind, ...params } as never);
      const x = inputsOf(kind, params, p);
      const y = x.map((v) => refForward(kind, p, v));
      const dy = x.map((v) => refDerivative(kind, p, v));
      return { kind, params, torch, x, float64: { y, dy }, float32: { y: y.map(Math.fround), dy: dy.map(Math.fround) } };
    }),
  };
}

/**
 * The file's text: two-space JSON with every number list on one line.
 * @param f the contents.
 * @returns the text, ending with a line break.
 */
export function formatParity(f: ParityFile): string {
  return JSON.stringify(f, null, 2).replace(/\[\s+([-+\d.eE,\s]+?)\s+\]/g, (_m, body: string) => `[${body.split(/,\s*/).join(', ')}]`) + '\n';
}
