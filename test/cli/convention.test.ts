/**
 * One command-line convention for every command (lib/cli-args.ts): a bad option exits 2 with the
 * usage on stderr, `--help` prints it on stdout and exits 0, `--flag=value` equals `--flag value`,
 * and a bare `smelu` is a usage error.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT } from '../helpers/build';

function run(file: string, args: string[]) {
  const r = spawnSync(process.execPath, [file, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, SMELU_BACKEND: 'js' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Each command: how to run it, and the first line of its usage. */
const COMMANDS: [string, string, string[], string][] = [
  ['smelu', CLI, [], 'usage: smelu <command>'],
  ['smelu info', CLI, ['info'], 'usage: smelu info'],
  ['smelu train', CLI, ['train'], 'usage: smelu train'],
  ['smelu repro', CLI, ['repro'], 'usage: smelu repro'],
  ['smelu export', CLI, ['export'], 'usage: smelu export'],
  ['smelu worker', CLI, ['worker'], 'usage: smelu worker'],
  ['bench', path.join(ROOT, 'bench', 'run.js'), [], 'usage: node bench/run.js'],
  ['wasm-vs-peers', path.join(ROOT, 'bench', 'wasm-vs-peers.js'), [], 'usage: node bench/wasm-vs-peers.js'],
  ['wasm-parts', path.join(ROOT, 'bench', 'wasm-parts.js'), [], 'usage: node bench/wasm-parts.js'],
];

describe.each(COMMANDS)('%s', (name, file, prefix, usage) => {
  it('exits 2 on an unknown option, naming it, with the usage on stderr', () => {
    const r = run(file, [...prefix, '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${name}: `);
    expect(r.stderr).toContain("'--bogus'");
    expect(r.stderr).toContain(usage);
  });

  it('prints the usage on stdout and exits 0 for --help', () => {
    const r = run(file, [...prefix, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(usage)).toBe(true);
    expect(r.stderr).toBe('');
  });
});

describe('smelu', () => {
  it('bare: the usage on stderr, exit 2', () => {
    const r = run(CLI, []);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^smelu: no command given\nusage: smelu <command>/);
  });

  it('an unknown command exits 2; --version prints the version', () => {
    expect(run(CLI, ['bogus']).code).toBe(2);
    const v = run(CLI, ['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(require(path.join(ROOT, 'package.json')).version);
  });

  it('info takes no argument', () => {
    expect(run(CLI, ['info', 'x']).code).toBe(2);
    expect(JSON.parse(run(CLI, ['info']).stdout).backend).toBe('js');
  });

  it('--flag=value and --flag value are the same; a value-less option is refused', () => {
    for (const args of [['--epochs=0'], ['--epochs', '0']]) {
      const r = run(CLI, ['train', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("smelu train: --epochs must be an integer >= 1, got '0'");
    }
    const r = run(CLI, ['train', '--epochs']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("smelu train: option '--epochs' needs a value");
  });

  it('the queue options of repro and worker follow it too', () => {
    const noValue = run(CLI, ['repro', '--preset', 'quick', '--queue']);
    expect(noValue.code).toBe(2);
    expect(noValue.stderr).toContain("smelu repro: option '--queue' needs a value");
    for (const args of [['--threads=0'], ['--threads', '0']]) {
      const r = run(CLI, ['worker', '--queue', 'redis://127.0.0.1:1/0', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("smelu worker: --threads: expected a positive integer, got '0'");
      expect(r.stderr).toContain('usage: smelu worker');
    }
  });
});
