/**
 * Test helper: running a test's own TypeScript helper (the helpers under test/) in a worker thread or
 * a child process: worker_threads and `node` cannot load .ts files, so the helper is loaded through
 * a require hook. For workers, the main thread transpiles the entry's import closure once (with the
 * `typescript` dev dependency) and ships the JavaScript in workerData, so starting a worker stays
 * cheap. The library itself never needs this: its workers run the compiled build (lib/worker-file).
 */
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { dirname, join, resolve } from 'path';

const TS_OPTIONS = '{ module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true }';

/**
 * JavaScript (CommonJS) that installs a transpiling .ts require hook, then requires `entry`.
 * With `sourcesFile` (written by {@link writeTranspiled}), the hook reads pre-transpiled code from
 * it instead of loading the TypeScript compiler: several child processes then start fast.
 */
export function tsBootstrapSource(entry: string, sourcesFile?: string): string {
  if (sourcesFile) {
    return `
const sources = JSON.parse(require('fs').readFileSync(${JSON.stringify(sourcesFile)}, 'utf8'));
require.extensions['.ts'] = function (module, filename) {
  if (sources[filename] === undefined) throw new Error('no transpiled source for ' + filename);
  module._compile(sources[filename], filename);
};
require(${JSON.stringify(entry)});
`;
  }
  const tsPath = require.resolve('typescript');
  return `
const fs = require('fs');
const ts = require(${JSON.stringify(tsPath)});
require.extensions['.ts'] = function (module, filename) {
  const src = fs.readFileSync(filename, 'utf8');
  module._compile(ts.transpileModule(src, { fileName: filename, compilerOptions: ${TS_OPTIONS} }).outputText, filename);
};
require(${JSON.stringify(entry)});
`;
}

const closures = new Map<string, Record<string, string>>();

/** The entry and every relative .ts module it requires, transpiled (cached per process). */
export function transpileClosure(entry: string): Record<string, string> {
  const cached = closures.get(entry);
  if (cached) return cached;
  const ts = require('typescript') as typeof import('typescript');
  const out: Record<string, string> = {};
  const todo = [entry];
  while (todo.length) {
    const file = todo.pop()!;
    if (out[file] !== undefined) continue;
    const js = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    }).outputText;
    out[file] = js;
    for (const m of js.matchAll(/require\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g)) {
      const base = resolve(dirname(file), m[1]);
      const dep = [`${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p));
      if (dep) todo.push(dep);
    }
  }
  closures.set(entry, out);
  return out;
}

/** Writes the transpiled import closure of `entry` as JSON, for {@link tsBootstrapSource}. */
export function writeTranspiled(entry: string, file: string): void {
  writeFileSync(file, JSON.stringify(transpileClosure(entry)));
}

/** Worker code that runs `entry` from the transpiled sources in workerData.__tsSources. */
function workerBootstrap(entry: string): string {
  return `
const { workerData } = require('worker_threads');
const sources = workerData.__tsSources;
require.extensions['.ts'] = function (module, filename) {
  if (sources[filename] === undefined) throw new Error('no transpiled source for ' + filename);
  module._compile(sources[filename], filename);
};
require(${JSON.stringify(entry)});
`;
}

export interface WorkerEntry {
  source: string;
  eval: boolean;
  /** Extra workerData the entry needs. */
  data: Record<string, unknown>;
}

/** A TypeScript worker entry `name`.ts in `dir`, run through the hook. */
export function workerEntry(dir: string, name: string): WorkerEntry {
  const ts = join(dir, `${name}.ts`);
  if (!existsSync(ts)) throw new Error(`worker entry ${ts} not found`);
  return { source: workerBootstrap(ts), eval: true, data: { __tsSources: transpileClosure(ts) } };
}
