/**
 * The benchmark's --quick mode end to end (bench/run.js): the JSON it prints, the figures'
 * sanity, and the files it writes (a few minutes: `npm run test:full`; bench.test.ts keeps the
 * argument check in `npm test`). Needs dist/ (npm run build:ts). Peers are optional: the
 * second run hides them to check that a machine without them still gets a full report.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, bench } from './run-bench';

const dirs: string[] = [];

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'smelu-bench-'));
  dirs.push(d);
  return d;
}

const positive = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x > 0;

function checkResult(res: any): void {
  for (const s of res.options.suites) expect(res.suites, `suite ${s}`).toHaveProperty(s);
  const a = res.suites.activations;
  if (a) {
    expect(a.rows.length).toBeGreaterThan(0);
    for (const r of a.rows) {
      expect(positive(r.elemsPerNs), `${r.tier} ${r.activation} ${r.direction}`).toBe(true);
      expect(r.maxError, `${r.tier} ${r.activation} ${r.direction} max error`).toBeLessThanOrEqual(1e-6);
    }
    for (const r of a.memcpy) expect(positive(r.elemsPerNs)).toBe(true);
    // Every activation on every tier that ran, both directions.
    const tiers = new Set(a.rows.map((r: { tier: string }) => r.tier));
    expect(a.rows.length).toBe(tiers.size * a.sizes.length * 10 * 2);
  }
  const d = res.suites.dense;
  if (d) {
    expect(d.rows.length).toBeGreaterThan(0);
    for (const r of d.rows) expect(positive(r.gflops), `${r.impl} ${r.activation} ${r.m}x${r.k}x${r.n}`).toBe(true);
    for (const r of d.share) expect(Number.isFinite(r.share) && r.share < 1).toBe(true);
    checkOnednn(res);
  }
  const t = res.suites.training;
  if (t && !t.skipped) for (const r of t.rows) expect(positive(r.examplesPerSec)).toBe(true);
  const e = res.suites.eventloop;
  if (e) {
    // Both output variants at each thread count; the delays are figures, only checked for sense.
    expect(e.rows.length).toBe(2 * (res.options.threads > 1 ? 2 : 1));
    for (const r of e.rows) {
      expect(r.p50Ms <= r.p99Ms && r.p99Ms <= r.maxMs, `${r.outputs} t=${r.threads}`).toBe(true);
      expect(positive(r.callsPerSec)).toBe(true);
    }
  }
  for (const f of [res.files.json, res.files.md, ...res.files.svg]) expect(fs.existsSync(f), f).toBe(true);
  expect(res.files.svg.length).toBeGreaterThan(0);
}

/**
 * oneDNN is covered where libdnnl is installed: forward and backward rows for each shape, thread
 * count and activation oneDNN has, each naming its kernel. Elsewhere the report says how to get it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function checkOnednn(res: any): void {
  const d = res.suites.dense;
  const rows = d.rows.filter((r: { impl: string }) => r.impl === 'onednn');
  const skip = res.notes.find((n: string) => /^oneDNN peer skipped/.test(n));
  if (skip) {
    console.log(`bench test: ${skip}`);
    expect(rows).toEqual([]);
    return;
  }
  const acts = d.acts.filter((a: string) => a !== 'smelu');
  expect(rows.length).toBe(d.shapes.length * d.threads.length * acts.length * 2);
  for (const r of rows) expect(r.kernel, `${r.activation} ${r.direction}`).toMatch(/\w+:\w+/);
  expect(rows.some((r: { activation: string }) => r.activation === 'smelu')).toBe(false);
  expect(d.peers.onednn.kernels.forward.length).toBeGreaterThan(0);
}

describe('bench/run.js --quick', () => {
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('runs every suite, prints JSON only, writes json / md / svg', () => {
    const out = tempDir();
    const r = bench(['--quick', '--json', '--out', out]);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.options.suites).toEqual(['activations', 'dense', 'training', 'eventloop']);
    checkResult(res);
    expect(JSON.parse(fs.readFileSync(res.files.json, 'utf8')).date).toBe(res.date);
    expect(fs.readFileSync(res.files.md, 'utf8')).toMatch(/^# smelu benchmark/);
  }, 130_000);

  it('works without the peers (npm ones and oneDNN): skipped with a note, plain charts', () => {
    const empty = tempDir();
    // No --out: the files go to the git-ignored bench/results/local. Two rounds, one thread: each
    // case is measured twice and keeps its better round.
    const r = bench(['--quick', '--json', '--suite=dense', '--threads=1', '--rounds', '2'], {
      SMELU_BENCH_PEERS_DIR: empty,
      SMELU_BENCH_NO_ONEDNN: '1',
    });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const res = JSON.parse(r.stdout);
    checkResult(res);
    expect(res.notes.join('\n')).toMatch(/peers not installed/);
    expect(res.notes).toContain('oneDNN peer skipped: SMELU_BENCH_NO_ONEDNN=1');
    expect(res.suites.dense.rows.some((x: { impl: string }) => x.impl === 'onednn')).toBe(false);
    for (const x of res.suites.dense.rows) expect(x.rounds, `${x.impl} ${x.activation}`).toBe(2);
    const local = path.join(ROOT, 'bench', 'results', 'local');
    for (const f of [res.files.json, res.files.md, ...res.files.svg]) {
      expect(path.dirname(f)).toBe(local);
      fs.rmSync(f);
    }
    const ignored = spawnSync('git', ['check-ignore', '-q', path.join(local, 'x.json')], { cwd: ROOT });
    expect(ignored.status, 'bench/results/local is git-ignored').toBe(0);
    expect(res.suites.dense.rows.some((x: { impl: string }) => x.impl === 'onnxruntime')).toBe(false);
    // Nothing was installed into the empty peers directory.
    expect(fs.readdirSync(empty)).toEqual([]);
  }, 130_000);
});
