/**
 * Every relative link in the docs and every repository path cited in a source comment must name
 * something that exists: a renamed or removed file then fails here, not in a reader's hands.
 * Checked against the working tree at test time, so it follows renames.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');
/**
 * Installed, built or generated trees: never walked, and a path into one is not checked
 * (bench/results/local: the benchmark's git-ignored default output).
 */
const GENERATED = new Set(['node_modules', 'build', 'dist', 'prebuilds', '.git', '.vitest-cache']);
const isGenerated = (p: string) =>
  p.startsWith('docs/api') || p.startsWith('bench/results/local') || p.split('/').some((s) => GENERATED.has(s) || s.startsWith('build-'));
/** The top-level folders a cited path starts with. */
const CITED_ROOTS = ['native', 'docs', 'lib', 'test', 'bench', 'scripts', 'spec', 'notes'];

function walk(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (isGenerated(rel)) continue;
    if (e.isDirectory()) walk(rel, out).push(`${rel}/`);
    else out.push(rel);
  }
  return out;
}

const FILES = walk('');
const EXISTING = new Set(FILES);

function filesUnder(dir: string, ext: RegExp): string[] {
  return FILES.filter((f) => f.startsWith(`${dir}/`) && ext.test(f));
}

/** Targets of markdown links and images outside code: [text](target) and [label]: target. */
export function markdownTargets(md: string): string[] {
  const prose = md.replace(/^(```|~~~)[\s\S]*?^\1/gm, '').replace(/`[^`\n]*`/g, '');
  const targets: string[] = [];
  for (const m of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1]);
  for (const m of prose.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)) targets.push(m[1]);
  return targets.filter((t) => !/^([a-z][a-z0-9+.-]*:|#)/i.test(t));
}

/** The comment text of a C++, TypeScript or JavaScript source. */
function comments(src: string): string {
  return [...src.matchAll(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g)].map((m) => m[0]).join('\n');
}

/** Tokens that look like repository paths: a known top-level folder, then a path. */
export function citedPaths(text: string): string[] {
  const re = new RegExp(`(?<![\\w./@~-])(?:${CITED_ROOTS.join('|')})/[\\w.*<>{},/-]*[\\w*>}/]`, 'g');
  return [...text.matchAll(re)].map((m) => m[0].replace(/[.,]+$/, ''));
}

/** Brace alternatives expanded: lib/backend/{native,js}.ts -> lib/backend/native.ts, .../js.ts. */
function expand(p: string): string[] {
  const m = /\{([^{}]*)\}/.exec(p);
  if (!m) return [p];
  return m[1].split(',').flatMap((alt) => expand(p.slice(0, m.index) + alt + p.slice(m.index + m[0].length)));
}

/** True when the path (a file, a folder, or a pattern with * or <placeholder>) names something. */
export function exists(p: string): boolean {
  return expand(p).every((one) => {
    const clean = one.replace(/\/$/, '');
    if (!/[*<]/.test(clean)) return fs.existsSync(path.join(ROOT, clean));
    const pattern = clean
      .split(/(\*|<[^>]*>)/)
      .map((s) => (s === '*' || s.startsWith('<') ? '[^/]*' : s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
      .join('');
    const re = new RegExp(`^${pattern}/?$`);
    return FILES.some((f) => re.test(f));
  });
}

function brokenLinks(mdFile: string): string[] {
  const md = fs.readFileSync(path.join(ROOT, mdFile), 'utf8');
  return markdownTargets(md)
    .map((t) => decodeURI(t.split('#')[0].split('?')[0]))
    .filter((t) => t !== '' && !fs.existsSync(path.resolve(path.dirname(path.join(ROOT, mdFile)), t)))
    .map((t) => `${mdFile}: link to ${t}`);
}

/** Paths cited in a source's comments, or anywhere in a markdown file. */
function brokenCitations(file: string): string[] {
  const src = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const text = file.endsWith('.md') ? src : comments(src);
  return citedPaths(text)
    .filter((p) => !isGenerated(p) && !exists(p))
    .map((p) => `${file}: cites ${p}`);
}

describe('links and cited paths', () => {
  it('finds links and cited paths the way a reader does (checks the checker)', () => {
    expect(markdownTargets('[a](docs/x.md#s) ![i](b.svg "t") [w](https://x.org) [h](#top) `[c](no.md)`\n[r]: ../y.md')).toEqual([
      'docs/x.md#s',
      'b.svg',
      '../y.md',
    ]);
    expect(citedPaths('see native/kernels/act/act.h, spec/activations.md. and shared/notes/m.md')).toEqual([
      'native/kernels/act/act.h',
      'spec/activations.md',
    ]);
    expect(exists('native/kernels/act/act.h')).toBe(true);
    expect(exists('native/kernels/simd/vec_*.h')).toBe(true);
    expect(exists('native/kernels/gemm/gemm_<isa>_<mr>x<nr>.cc')).toBe(true);
    expect(exists('spec/activations.md')).toBe(false);
    expect(exists('native/kernels/{act,nope}/')).toBe(false);
  });

  it('every relative link and cited path in the docs names an existing file', () => {
    const docs = ['README.md', 'ARCHITECTURE.md', 'CHANGELOG.md', 'bench/NOTES.md']
      .filter((f) => EXISTING.has(f))
      .concat(filesUnder('docs', /\.md$/));
    expect(docs.length).toBeGreaterThan(3);
    expect(docs.flatMap(brokenLinks)).toEqual([]);
    expect(docs.flatMap(brokenCitations)).toEqual([]);
  });

  it('every repository path cited in a source comment exists', () => {
    const sources = [
      ...filesUnder('lib', /\.ts$/),
      ...filesUnder('native', /\.(h|cc)$/),
      ...FILES.filter((f) => /^scripts\/[^/]+\.js$/.test(f)),
      ...filesUnder('bench', /\.js$/),
    ];
    expect(sources.length).toBeGreaterThan(20);
    expect(sources.flatMap(brokenCitations)).toEqual([]);
  });
});
