/**
 * Vitest global setup: the library's worker threads (Hogwild, the lab's pool) and the CLI run the
 * compiled dist/, so dist/ is rebuilt once before the tests when any lib/ source is newer than it
 * (on a fresh clone `npm install` built it already, through the prepare script).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');
const WORKERS = [path.join(ROOT, 'dist', 'repro', 'worker.js'), path.join(ROOT, 'dist', 'nn', 'hogwild-worker.js')];

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
  return [CLI, ...WORKERS].reduce((t, f) => Math.min(t, fs.existsSync(f) ? fs.statSync(f).mtimeMs : 0), Infinity);
}

/** Runs `npm run build:ts` when dist/ is missing or older than lib/; a failed build fails the run. */
export default function ensureBuilt(): void {
  if (builtAt() >= newestSource(path.join(ROOT, 'lib'))) return;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['run', 'build:ts'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build:ts failed:\n${r.stdout}${r.stderr}`);
}
