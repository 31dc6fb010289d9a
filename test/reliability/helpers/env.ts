/**
 * Shared set-up of the reliability suite: the fast-check seed, the raw addon, and child processes
 * that run TypeScript helpers from source (transpiled once, like test/nn does).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll } from 'vitest';
import { tsBootstrapSource, writeTranspiled } from '../../helpers/ts-child';

export const ROOT = resolve(__dirname, '..', '..', '..');

// lib/backend/native.ts require()s the addon at run time; make sure any .ts it might pull in
// through Node's own require compiles (vitest only transforms what it imports itself).
const extensions = (Module as unknown as {
  _extensions: Record<string, (m: { _compile(s: string, f: string): void }, f: string) => void>;
})._extensions;
if (!extensions['.ts']) {
  extensions['.ts'] = (module, filename) => {
    const options = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
    module._compile(ts.transpileModule(readFileSync(filename, 'utf8'), { compilerOptions: options }).outputText, filename);
  };
}

/** The default fast-check seed; SMELU_FC_SEED overrides it (fast-check prints the seed of a failure). */
export const DEFAULT_SEED = 20261125;

export function fcSeed(): number {
  const raw = (process.env.SMELU_FC_SEED ?? '').trim();
  if (raw === '') return DEFAULT_SEED;
  const seed = Number(raw);
  if (!Number.isInteger(seed)) throw new RangeError(`SMELU_FC_SEED must be an integer, got '${raw}'`);
  return seed;
}

/** The addon file in use: SMELU_ADDON_PATH (the sanitizer build) or the local release build. */
export function addonPath(): string {
  const override = (process.env.SMELU_ADDON_PATH ?? '').trim();
  return override !== '' ? resolve(override) : join(ROOT, 'build', 'Release', 'smelu.node');
}

/** The raw Node-API exports, loaded directly (no TypeScript validation in front). */
export function rawAddon(): Record<string, (...args: unknown[]) => unknown> {
  return createRequire(__filename)(addonPath()) as Record<string, (...args: unknown[]) => unknown>;
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const sourcesDir = mkdtempSync(join(tmpdir(), 'smelu-reliability-'));
// Registered on the suite of the test file importing this module (vitest's workers end without an
// 'exit' event).
afterAll(() => rmSync(sourcesDir, { recursive: true, force: true }));
const transpiled = new Map<string, string>();

/** Transpiled closure of a TypeScript entry (written once per process) and its bootstrap source. */
export function childSource(entry: string): string {
  let file = transpiled.get(entry);
  if (!file) {
    file = join(sourcesDir, `${transpiled.size}.json`);
    writeTranspiled(entry, file);
    transpiled.set(entry, file);
  }
  return tsBootstrapSource(entry, file);
}

export interface ChildOptions {
  /** Extra node flags (e.g. --expose-gc). */
  nodeArgs?: string[];
  env?: Record<string, string>;
  /** Kill with SIGKILL after this many ms (a hang is then a failure, not a stuck suite). */
  timeoutMs?: number;
  /** Called with each complete stdout line as it arrives. */
  onLine?: (line: string, kill: () => void) => void;
}

/** Runs a TypeScript helper in a fresh Node process and collects its output. */
export function runChild(entry: string, opts: ChildOptions = {}): Promise<ChildResult> {
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), '-e', childSource(entry)], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let pending = '';
  const kill = (): void => {
    proc.kill('SIGKILL');
  };
  proc.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (!opts.onLine) return;
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const l of lines) opts.onLine(l, kill);
  });
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = opts.timeoutMs ? setTimeout(kill, opts.timeoutMs) : undefined;
  return new Promise((res, rej) => {
    proc.on('error', rej);
    proc.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      res({ code, signal, stdout, stderr });
    });
  });
}

/** The last line of a child's stdout that parses as JSON (its report). */
export function lastJson<T>(r: ChildResult): T {
  const lines = r.stdout.trim().split('\n').reverse();
  for (const l of lines) {
    if (!l.startsWith('{')) continue;
    return JSON.parse(l) as T;
  }
  throw new Error(`no JSON report from the child (code ${r.code}, signal ${r.signal})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

/** Bitwise equality of two float32 arrays (NaN payloads included). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
  return true;
}
