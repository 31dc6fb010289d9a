/** Runs bench/run.js in a child process, for the bench tests. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
const RUN = path.join(ROOT, 'bench', 'run.js');

export interface BenchRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function bench(args: string[], env: NodeJS.ProcessEnv = {}): BenchRun {
  const r = spawnSync(process.execPath, [RUN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
