/** Test helper: runs the built `smelu` CLI (dist/, rebuilt by the global setup when stale). */
import { spawn } from 'node:child_process';
import { CLI, ROOT } from '../helpers/build';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `smelu ARGS` with one native thread (and `env` added); resolves with its exit code and output. */
export function smelu(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, SMELU_THREADS: '1', ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
