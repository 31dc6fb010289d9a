/**
 * The README's "Train, save, serve" example, run as written: its CSV block becomes users.csv, its
 * two code blocks train.js and serve.js, each run in its own process with `require('smelu')`
 * pointing at this checkout's build (dist/, rebuilt by the test setup when stale). Editing the
 * README changes what runs here, so the two cannot drift.
 */
import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import { join, resolve } from 'path';
import { runInNewContext } from 'vm';
import { describe, expect, it } from 'vitest';
import * as smelu from '../../lib';
import { ROOT } from '../helpers/build';
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

/** Runs a script in a new node process in `dir`, with require('smelu') resolving to the build. */
function runNode(path: string): string {
  const hook = `
const Module = require('module');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolveFilename.call(this, request === 'smelu' ? ${JSON.stringify(BUILD)} : request, ...rest);
};
require(${JSON.stringify(path)});
`;
  return execFileSync(process.execPath, ['-e', hook], { cwd: dir, encoding: 'utf8' });
}

describe('README: Train, save, serve', () => {
  it('trains from the CSV, saves, and a fresh process predicts raw rows with the same bits as this one', () => {
    const blocks = sectionBlocks('Train, save, serve');
    expect(blocks.map((b) => b.lang)).toEqual(['csv', 'js', 'js']);
    const [csv, train, serve] = blocks;
    file('users.csv', csv.code);
    runNode(file('train.js', train.code));
    // serve.js as written, plus one line that prints its predictions exactly
    const PRINT = "\n;console.log('PREDICTIONS ' + JSON.stringify(Array.from(p)));\n";
    const out = runNode(file('serve.js', serve.code + PRINT));
    const line = out.split('\n').find((l) => l.startsWith('PREDICTIONS '));
    const fresh = Float32Array.from(JSON.parse(line!.slice(12)) as number[]);
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
});
