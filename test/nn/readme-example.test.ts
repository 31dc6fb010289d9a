/**
 * The README's "Train, save, serve" example, run as written: its CSV block becomes users.csv, its
 * three code blocks train.js, serve.js and onnx.js, each run in its own process with
 * `require('smelu')` pointing at this checkout's build (dist/, rebuilt by the test setup when
 * stale). Editing the README changes what runs here, so the two cannot drift.
 */
import { execFileSync } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import { join, resolve } from 'path';
import { runInNewContext } from 'vm';
import { describe, expect, it } from 'vitest';
import * as smelu from '../../lib';
import { ROOT } from '../helpers/build';
import type { RawRow } from '../../lib/nn';
import { sameBits } from './helpers/bits';
import { tempFiles } from './helpers/files';

const { dir, file } = tempFiles('smelu-readme-');
const BUILD = join(ROOT, 'dist', 'index.js');

/** The fenced blocks of one README section, in order. */
function sectionBlocks(title: string): Array<{ lang: string; code: string }> {
  const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start, `README section '${title}'`).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], code: m[2] }));
}

/**
 * The build, except that nn.onnxFeeds prints the rows it encodes and console.log prints typed
 * arrays exactly (as JSON), so the test sees what an ONNX script fed and got.
 */
const SPY = `
const s = require(${JSON.stringify(BUILD)});
const log = console.log;
console.log = (...a) => (a[0] instanceof Float32Array ? process.stdout.write('LOGGED ' + JSON.stringify(Array.from(a[0])) + '\\n') : log(...a));
const onnxFeeds = (model, rows) => (process.stdout.write('ROWS ' + JSON.stringify(rows) + '\\n'), s.nn.onnxFeeds(model, rows));
module.exports = { ...s, nn: { ...s.nn, onnxFeeds } };
`;

/** The JSON after `tag ` on a line of a child's output. */
function tagged(out: string, tag: string): unknown {
  const line = out.split('\n').find((l) => l.startsWith(`${tag} `));
  expect(line, `a line '${tag} ...' in the output`).toBeDefined();
  return JSON.parse(line!.slice(tag.length + 1));
}

/**
 * Runs a script in a new node process in `dir`, with require('smelu') resolving to `smelu`
 * (default: the build) and require('onnxruntime-node') to this checkout's copy (as a user's
 * project that installed it).
 */
function runNode(path: string, smelu = BUILD): string {
  const paths = { smelu, 'onnxruntime-node': require.resolve('onnxruntime-node', { paths: [ROOT] }) };
  const hook = `
const Module = require('module');
const resolveFilename = Module._resolveFilename;
const paths = ${JSON.stringify(paths)};
Module._resolveFilename = function (request, ...rest) {
  return resolveFilename.call(this, paths[request] ?? request, ...rest);
};
require(${JSON.stringify(path)});
`;
  return execFileSync(process.execPath, ['-e', hook], { cwd: dir, encoding: 'utf8' });
}

/** Writes users.csv and runs train.js (once per file): users.smelu in `dir`. */
function trainOnce(): void {
  if (existsSync(join(dir, 'users.smelu'))) return;
  const [csv, train] = sectionBlocks('Train, save, serve');
  file('users.csv', csv.code);
  runNode(file('train.js', train.code));
  expect(existsSync(join(dir, 'users.smelu'))).toBe(true);
}

describe('README: Train, save, serve', () => {
  it('trains from the CSV, saves, and a fresh process predicts raw rows with the same bits as this one', () => {
    const blocks = sectionBlocks('Train, save, serve');
    expect(blocks.map((b) => b.lang)).toEqual(['csv', 'js', 'js', 'js']);
    const serve = blocks[2];
    trainOnce();
    // serve.js as written, plus one line that prints its predictions exactly
    const PRINT = "\n;console.log('PREDICTIONS ' + JSON.stringify(Array.from(p)));\n";
    const out = runNode(file('serve.js', serve.code + PRINT));
    const fresh = Float32Array.from(tagged(out, 'PREDICTIONS') as number[]);
    expect(fresh.length).toBe(3);
    expect(fresh.every((v) => v > 0 && v < 1)).toBe(true);

    // The same serve code in this process (model file read here): the same bits.
    let here: Float32Array | undefined;
    const nn = { ...smelu.nn, loadModel: (p: string) => smelu.nn.loadModel(join(dir, p)) };
    runInNewContext(serve.code + "\n;capture(p);\n", {
      require: (m: string) => (m === 'smelu' ? { ...smelu, nn } : require(m)),
      console: { log: () => undefined },
      capture: (p: Float32Array) => (here = p),
    });
    expect(sameBits(here!, fresh)).toBe(true);
  });

  it('exports the saved model to ONNX; onnxruntime-node in a fresh process predicts raw rows within 1e-5 of model.predict', () => {
    const onnx = sectionBlocks('Train, save, serve')[3];
    trainOnce();
    const out = runNode(file('onnx.js', onnx.code), file('smelu-spy.js', SPY));
    const rows = tagged(out, 'ROWS') as RawRow[];
    const got = tagged(out, 'LOGGED') as number[];
    const want = smelu.nn.loadModel(join(dir, 'users.smelu')).predict(rows);
    expect(rows.length).toBeGreaterThan(0);
    expect(got.length).toBe(want.length);
    const d = Math.max(...got.map((v, i) => Math.abs(v - want[i])));
    console.info(`README ONNX step: ${rows.length} raw rows, max |onnxruntime - predict| = ${d.toExponential(2)}`);
    expect(d).toBeLessThanOrEqual(1e-5);
    expect(existsSync(join(dir, 'users.onnx'))).toBe(true);
  });
});
