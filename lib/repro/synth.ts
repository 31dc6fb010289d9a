/**
 * The `crosses` teacher of the lab's synthetic CTR data: features are lib/nn's synthetic rows
 * (standard-normal dense features, heavy-tailed categorical ids), labels come from a teacher whose
 * logit is dominated by crosses: dot products of per-id latent vectors between field pairs,
 * products of dense features, a dense x categorical interaction and |x| terms. A linear tower
 * over the embeddings can represent only the per-id biases and the linear dense term, so it is
 * clearly worse than an MLP tower on these data (the preset's report shows it).
 *
 * With `drift` > 0 the teacher moves over the stream: the cross weights and per-id biases rotate
 * from one draw to a second one as the row index goes from 0 to the last row (time-like data,
 * where the given order matters).
 */
import { sigmoid } from '../nn/loss';
import { Dataset, deriveSeed, Rng, syntheticCtr } from '../nn';

const LATENT = 3;
const CROSS_FIELDS = 4;
const CROSS_SCALE = 1.2;
const BIAS_SD = 0.4;

export interface CrossesOptions {
  rows: number;
  seed: number;
  numDense: number;
  fields: number[];
  noise?: number;
  drift?: number;
  /** Target mean click rate (default 0.25). */
  baseRate?: number;
}

interface Teacher {
  latent: Float32Array[];
  bias: [Float32Array[], Float32Array[]];
  cross: [number[], number[]];
  pairs: Array<[number, number]>;
  denseCross: Float32Array;
  absW: Float32Array;
  linW: Float32Array;
  catW: Float32Array;
}

function normals(rng: Rng, n: number, sd: number): Float32Array {
  return Float32Array.from({ length: n }, () => sd * rng.normal());
}

function drawTeacher(o: CrossesOptions, rng: Rng): Teacher {
  const f = Math.min(CROSS_FIELDS, o.fields.length);
  const pairs: Array<[number, number]> = [];
  for (let a = 0; a < f; a++) for (let b = a + 1; b < f; b++) pairs.push([a, b]);
  const crossSd = CROSS_SCALE / Math.sqrt(Math.max(1, pairs.length) * LATENT);
  return {
    latent: o.fields.map((v) => normals(rng, v * LATENT, 1)),
    bias: [o.fields.map((v) => normals(rng, v, BIAS_SD)), o.fields.map((v) => normals(rng, v, BIAS_SD))],
    cross: [pairs.map(() => crossSd * rng.normal() * 2), pairs.map(() => crossSd * rng.normal() * 2)],
    pairs,
    denseCross: normals(rng, Math.max(0, o.numDense - 1), 0.6),
    absW: normals(rng, o.numDense, 0.4),
    linW: normals(rng, o.numDense, 0.2),
    catW: normals(rng, LATENT, 0.5),
  };
}

/** The teacher's logit of row i (t in [0, 1] = position in the stream, for the drift). */
function logit(t: Teacher, d: Dataset, i: number, mix: number): number {
  const nd = d.numDense;
  const nc = d.numCat;
  const x = d.dense.subarray(i * nd, (i + 1) * nd);
  const ids = d.cat.subarray(i * nc, (i + 1) * nc);
  const c0 = Math.cos(mix);
  const s0 = Math.sin(mix);
  let z = 0;
  for (let f = 0; f < nc; f++) z += c0 * t.bias[0][f][ids[f]] + s0 * t.bias[1][f][ids[f]];
  t.pairs.forEach(([a, b], p) => {
    let dot = 0;
    for (let k = 0; k < LATENT; k++) dot += t.latent[a][ids[a] * LATENT + k] * t.latent[b][ids[b] * LATENT + k];
    z += (c0 * t.cross[0][p] + s0 * t.cross[1][p]) * dot;
  });
  for (let j = 0; j < nd; j++) z += t.linW[j] * x[j] + t.absW[j] * (Math.abs(x[j]) - 0.8);
  for (let j = 0; j + 1 < nd; j++) z += t.denseCross[j] * x[j] * x[j + 1];
  if (nd && nc) for (let k = 0; k < LATENT; k++) z += t.catW[k] * x[0] * t.latent[0][ids[0] * LATENT + k];
  return z;
}

/** Intercept giving mean sigmoid(logit + intercept) = rate (bisection). */
function calibrate(z: Float64Array, rate: number): number {
  let lo = -30;
  let hi = 30;
  for (let it = 0; it < 60; it++) {
    const mid = (lo + hi) / 2;
    let mean = 0;
    for (let i = 0; i < z.length; i++) mean += sigmoid(z[i] + mid);
    if (mean / z.length < rate) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** `rows` rows of lib/nn's synthetic features, labelled by the crosses teacher; deterministic in the seed. */
export function crossesCtr(o: CrossesOptions): Dataset {
  const feats = syntheticCtr({ rows: o.rows, seed: o.seed, numDense: o.numDense, fields: o.fields, noise: 0 });
  const rng = Rng.fromSeed(deriveSeed(o.seed, 0x63726f7373n));
  const t = drawTeacher(o, rng);
  const drift = o.drift ?? 0;
  const noise = o.noise ?? 0.3;
  const z = new Float64Array(o.rows);
  for (let i = 0; i < o.rows; i++) z[i] = logit(t, feats, i, (Math.PI / 2) * drift * (o.rows > 1 ? i / (o.rows - 1) : 0)) + noise * rng.normal();
  const b = calibrate(z, o.baseRate ?? 0.25);
  const labels = new Float32Array(o.rows);
  const teacher = new Float32Array(o.rows);
  for (let i = 0; i < o.rows; i++) {
    teacher[i] = sigmoid(z[i] + b);
    labels[i] = rng.next() < teacher[i] ? 1 : 0;
  }
  return new Dataset({ labels, dense: feats.dense, numDense: feats.numDense, cat: feats.cat, numCat: feats.numCat, teacher });
}
