/**
 * vega and vega-lite are optional peers: without them a chart is its vega-lite spec alone and the
 * caller can tell (canRenderSvg), with them the SVG comes too.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');
const SPEC = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', data: { values: [{ a: 1, b: 2 }] }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' } } };

/** dist/chart.js run in a child (its real dynamic import needs plain node): what it gives for SPEC. */
function charts(chartJs: string, cwd: string): { can: boolean; files: [string, string][]; hint: string } {
  const code = `const c = require(${JSON.stringify(chartJs)});
    Promise.all([c.canRenderSvg(), c.chartFiles('c', ${JSON.stringify(SPEC)})]).then(([can, files]) =>
      console.log(JSON.stringify({ can, files, hint: c.SVG_HINT })));`;
  const r = spawnSync(process.execPath, ['-e', code], { cwd, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout);
}

describe('charts', () => {
  it('give the spec and the SVG when vega is installed (the dev tree has it)', () => {
    const out = charts(path.join(ROOT, 'dist', 'chart.js'), ROOT);
    expect(out.can).toBe(true);
    expect(out.files.map(([n]) => n)).toEqual(['c.vl.json', 'c.svg']);
    expect(JSON.parse(out.files[0][1])).toEqual(SPEC);
    expect(out.files[1][1].startsWith('<svg')).toBe(true);
  });

  it('give the spec alone, and say so, where vega cannot be resolved', () => {
    // dist/chart.js copied outside any node_modules tree: vega and vega-lite do not resolve there.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelu-nopeers-'));
    try {
      fs.copyFileSync(path.join(ROOT, 'dist', 'chart.js'), path.join(dir, 'chart.js'));
      const out = charts(path.join(dir, 'chart.js'), dir);
      expect(out.can).toBe(false);
      expect(out.files.map(([n]) => n)).toEqual(['c.vl.json']);
      expect(out.hint).toContain('npm i vega vega-lite');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
