/**
 * No circular imports in lib/, type-only imports included: every module can be read (and loaded)
 * after the modules it imports.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';

const LIB = path.resolve(__dirname, '..', '..', 'lib');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The lib/ modules a file imports or re-exports (static or dynamic, type-only included). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
  return specs.map((s) => {
    const base = path.resolve(path.dirname(file), s);
    const hit = [`${base}.ts`, path.join(base, 'index.ts')].find((p) => fs.existsSync(p));
    if (!hit) throw new Error(`${path.relative(LIB, file)}: import '${s}' does not resolve`);
    return hit;
  });
}

/** Every cycle found by a depth-first walk, as the chain of files relative to lib/. */
function cycles(files: string[]): string[] {
  const graph = new Map(files.map((f) => [f, importsOf(f)]));
  const state = new Map<string, 'open' | 'done'>();
  const found: string[] = [];
  const walk = (f: string, chain: string[]): void => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      found.push([...chain.slice(chain.indexOf(f)), f].map((p) => path.relative(LIB, p)).join(' -> '));
      return;
    }
    state.set(f, 'open');
    for (const dep of graph.get(f) ?? []) walk(dep, [...chain, f]);
    state.set(f, 'done');
  };
  for (const f of files) walk(f, []);
  return found;
}

it('finds a cycle when there is one (the walk itself works)', () => {
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'smelu-imports-'));
  try {
    fs.writeFileSync(path.join(dir, 'a.ts'), "import type { B } from './b';\nexport type A = B;\n");
    fs.writeFileSync(path.join(dir, 'b.ts'), "import { c } from './c';\nexport type B = number;\nc();\n");
    fs.writeFileSync(path.join(dir, 'c.ts'), "export { a } from './a';\nexport function c(): void {}\n");
    expect(cycles(sources(dir)).length).toBeGreaterThan(0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

it('lib/ has no circular imports, type-only ones included', () => {
  const files = sources(LIB);
  expect(files.length).toBeGreaterThan(40);
  expect(cycles(files)).toEqual([]);
});
