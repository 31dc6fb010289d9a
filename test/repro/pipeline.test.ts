/**
 * End to end through the real CLI on the `quick` preset: the reports exist and are well-formed,
 * and a rerun takes every replica from the cache. Not a test of the science.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT } from '../helpers/build';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function smelu(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, SMELU_THREADS: '1' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

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
    expect(files.map((f) => path.basename(f))).toEqual(['results.json', 'results.md', 'tradeoff.vl.json', 'tradeoff.svg', 'sources.vl.json', 'sources.svg']);
  });

  it('writes well-formed JSON with every point and its PD', () => {
    const r = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(r.config.preset).toBe('quick');
    expect(r.points).toHaveLength(4); // 2 activations x (both, warm)
    for (const p of r.points) {
      expect(p.replicas).toBe(3);
      expect(p.pd.relative.values).toHaveLength(3);
      expect(Number.isFinite(p.loss.mean)).toBe(true);
    }
    expect(r.ensembles[0]).toMatchObject({ k: 2, cost: 2 });
    expect(r.meta.trained).toBeGreaterThan(0);
  });

  it('writes a markdown table and SVG charts', () => {
    const md = fs.readFileSync(path.join(out, 'results.md'), 'utf8');
    expect(md).toMatch(/^\| activation \| param \| log loss/m);
    expect(md).toMatch(/^\| smelu \| 1 \|/m);
    for (const f of ['tradeoff.svg', 'sources.svg']) {
      const svg = fs.readFileSync(path.join(out, f), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(tagsBalance(svg)).toBe(true);
    }
    for (const f of ['tradeoff.vl.json', 'sources.vl.json']) {
      expect(JSON.parse(fs.readFileSync(path.join(out, f), 'utf8')).$schema).toMatch(/vega-lite/);
    }
  });

  it('a rerun takes every replica from the cache and trains nothing', async () => {
    const again = await smelu(['repro', '--preset', 'quick', '--out', out, '--threads', '2']);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/trained 0, cached \d+/);
    const r = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(r.meta.trained).toBe(0);
  });

  it('an interrupted sweep resumes: only the missing replica is trained', async () => {
    const cache = path.join(out, 'cache');
    const entries = fs.readdirSync(cache).filter((f) => f.endsWith('.json'));
    fs.rmSync(path.join(cache, entries[0]));
    const again = await smelu(['repro', '--preset', 'quick', '--out', out, '--threads', '2']);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/trained 1, cached \d+/);
  });

  it('--help exits 0; a bad option exits 2 with a clear message', async () => {
    const help = await smelu(['repro', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--preset quick\|ctr\|digits/);
    const bad = await smelu(['repro', '--preset', 'quick', '--replicas', 'many']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--replicas must be an integer >= 2, got 'many'/);
  });
});
