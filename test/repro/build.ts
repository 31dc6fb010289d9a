/**
 * Test helper: the runner's workers (and the CLI) run the compiled dist/, so tests that use them
 * first rebuild dist/ when any lib/ source is newer than it.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');
const WORKER = path.join(ROOT, 'dist', 'repro', 'worker.js');

function newestSource(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestSource(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, fs.statSync(p).mtimeMs);
  }
  return t;
}

function builtAt(): number {
  return [CLI, WORKER].reduce((t, f) => Math.min(t, fs.existsSync(f) ? fs.statSync(f).mtimeMs : 0), Infinity);
}

/**
 * Runs tsc when dist/ is missing or older than lib/. tsc still emits when another module of the
 * tree (worked on concurrently) has a type error; that is tolerated unless the error is in the
 * reproducibility lab or its outputs are missing.
 */
export function ensureBuilt(): void {
  if (builtAt() >= newestSource(path.join(ROOT, 'lib'))) return;
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.json')], { cwd: ROOT, encoding: 'utf8' });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0 && (/lib\/repro\//.test(out) || builtAt() === 0)) throw new Error(`tsc failed:\n${out}`);
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `smelu` CLI with one native thread; resolves with its exit code and output. */
export function smelu(args: string[]): Promise<Run> {
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
