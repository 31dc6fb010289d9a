/**
 * End to end through the real CLI on the `quick` preset: the reports exist and are well-formed,
 * and a rerun takes every replica from the cache. Not a test of the science.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smelu, type Run } from './run';

/** Tags of an SVG open and close in order (a small well-formedness check, no XML parser needed). */
function tagsBalance(svg: string): boolean {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z][\w:-]*)[^>]*?(\/?)>/g)) {
    const [, close, name, self] = m;
    if (self) continue;
    if (!close) stack.push(name);
    else if (stack.pop() !== name) return false;
  }
  return stack.length === 0;
}

describe('smelu repro --preset quick', () => {
  let out: string;
  let first: Run;

  beforeAll(async () => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'smelu-repro-'));
    first = await smelu(['repro', '--preset', 'quick', '--out', out, '--threads', '2']);
  }, 300_000);

  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('exits 0 and prints the report paths', () => {
    expect(first.stderr).not.toMatch(/Error/);
    expect(first.code).toBe(0);
    const files = first.stdout.trim().split('\n');
    expect(files.map((f) => path.basename(f))).toEqual(['results.json', 'results.md', 'tradeoff.svg', 'sources.svg', 'windows.svg', 'curves.svg']);
  });

  it('writes well-formed JSON with every point and its PD', () => {
    const r = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(r.config.preset).toBe('quick');
    expect(r.points).toHaveLength(36); // 3 activations x 3 sources x 2 regimes x 2 rates
    for (const p of r.points) {
      expect(p.replicas).toBe(3);
      expect(p.pd.relative.values).toHaveLength(6); // 3 pairs x 2 data seeds
      expect(Number.isFinite(p.loss.mean)).toBe(true);
      expect(Number.isFinite(p.validLoss)).toBe(true);
    }
    // one chosen rate per activation and regime
    const chosen = r.points.filter((p: { chosen: boolean }) => p.chosen);
    expect(chosen).toHaveLength(18);
    expect(r.ensembles.map((e: { label: string; k: number }) => `${e.label} ${e.k}`)).toContain('smelu(beta=1) ensemble 2');
    expect(r.verdicts.length).toBeGreaterThan(0);
    for (const v of r.verdicts) expect(['holds', 'does not hold', 'inconclusive']).toContain(v.verdict);
    expect(r.meta.trained).toBeGreaterThan(0);
    expect(chosen.find((p: { source: string; curve: unknown }) => p.source === 'both').curve.examples).toEqual([768, 1536, 2304, 2458]);
  });

  it('never shows an impossible interval: PD intervals stay above 0', () => {
    const r = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    for (const p of [...r.points, ...r.ensembles]) {
      if (p.pdInterval.lo !== null) expect(p.pdInterval.lo).toBeGreaterThan(0);
      if (p.vsRelu?.pd.lo != null) expect(p.vsRelu.pd.lo).toBeGreaterThan(0);
    }
    const md = fs.readFileSync(path.join(out, 'results.md'), 'utf8');
    // a PD cell "mean [lo, hi]" never has a negative lower end (the claim-6 log differences may)
    expect(md).not.toMatch(/\| [\d.]+ \[-[\d.]/);
  });

  it('writes a markdown table and SVG charts', () => {
    const md = fs.readFileSync(path.join(out, 'results.md'), 'utf8');
    expect(md).toMatch(/^\| activation \| param \| lr \| log loss/m);
    expect(md).toMatch(/^\| smelu \| 1 \|/m);
    expect(md).toMatch(/^## Verdicts \(generated from the intervals\)/m);
    for (const f of ['tradeoff.svg', 'sources.svg', 'windows.svg', 'curves.svg']) {
      const svg = fs.readFileSync(path.join(out, f), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(tagsBalance(svg)).toBe(true);
    }
  });

  it('an interrupted sweep resumes: only the missing replica is trained', async () => {
    const cache = path.join(out, 'cache');
    const entries = fs.readdirSync(cache).filter((f) => f.endsWith('.json'));
    fs.rmSync(path.join(cache, entries[0]));
    const again = await smelu(['repro', '--preset', 'quick', '--out', out, '--threads', '2']);
    expect(again.code).toBe(0);
    // every other replica comes from the cache: an interrupted sweep resumes where it stopped
    expect(again.stderr).toMatch(/trained 1, cached \d+/);
    const r = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(r.meta.trained).toBe(1);
    const trainedFirst = Number(/trained (\d+)/.exec(first.stderr)![1]);
    expect(r.meta.cached).toBe(trainedFirst - 1);
  });

  it('--help exits 0; a bad option exits 2 with a clear message', async () => {
    const help = await smelu(['repro', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--preset quick\|ctr\|ctr-stream\|digits/);
    const bad = await smelu(['repro', '--preset', 'quick', '--replicas', 'many']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--replicas must be an integer >= 2, got 'many'/);
  });
});
