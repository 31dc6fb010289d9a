/**
 * A Criteo-sized model: 26 fields x 2^20 buckets x 16 dims with Adagrad state (about 3.5 GB of
 * checkpoint, over 2 GiB and over 2^31 bytes per tensor pair). Train 2 steps and save, resume in a
 * fresh model for 2 more, and compare with 4 steps straight through (a SHA-256 of every weight).
 * Prints the file size and the time of each phase.
 */
import { createHash } from 'crypto';
import { mkdtempSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { afterAll, expect, it } from 'vitest';
import { ctrModel, Dataset, fit, Rng, type FitOptions } from '../../lib/nn';

const FIELDS = 26;
const BUCKETS = 1 << 20;
const DIM = 16;
const dir = mkdtempSync(join(tmpdir(), 'smelu-large-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function data(): Dataset {
  const n = 1024;
  const rng = Rng.fromSeed(5);
  const cat = Uint32Array.from({ length: n * FIELDS }, () => rng.int(BUCKETS));
  const dense = Float32Array.from({ length: n * 13 }, () => rng.next());
  const labels = Float32Array.from({ length: n }, () => (rng.next() < 0.25 ? 1 : 0));
  return new Dataset({ labels, dense, numDense: 13, cat, numCat: FIELDS });
}

const model = () => ctrModel({ numDense: 13, fields: Array(FIELDS).fill(BUCKETS), embeddingDim: DIM, hidden: [64], activation: 'smelu' });
const options: FitOptions = { epochs: 1, batchSize: 256, loss: 'bce', seed: 9, shuffleSeed: 4, optimizer: { kind: 'adagrad', lr: 0.05 } };

function digest(m: ReturnType<typeof model>): string {
  const h = createHash('sha256');
  for (const p of m.params()) h.update(new Uint8Array(p.value.buffer, p.value.byteOffset, p.value.byteLength));
  return h.digest('hex');
}

function timed<T>(what: string, f: () => T): T {
  const t0 = process.hrtime.bigint();
  const r = f();
  console.log(`${what}: ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)} s`);
  return r;
}

it('saves, loads and resumes a 26 x 2^20 x 16 model with Adagrad state, bit for bit', () => {
  const d = data();
  const straight = timed('4 steps straight (init + train + hash)', () => {
    const m = model();
    fit(m, d, { ...options, maxSteps: 4 });
    return digest(m);
  });
  const path = join(dir, 'criteo.ckpt');
  timed('2 steps and save', () => fit(model(), d, { ...options, maxSteps: 2, checkpoint: { path, everySteps: 1000 } }));
  const bytes = statSync(path).size;
  console.log(`checkpoint: ${bytes} bytes (${(bytes / 2 ** 30).toFixed(2)} GiB)`);
  expect(bytes).toBeGreaterThan(2 * FIELDS * BUCKETS * DIM * 4); // weights + accumulators
  const resumed = timed('load + resume 2 steps + hash', () => {
    const m = model();
    fit(m, d, { ...options, maxSteps: 4, resume: path });
    return digest(m);
  });
  expect(resumed).toBe(straight);
});
