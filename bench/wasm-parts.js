#!/usr/bin/env node
'use strict';
/**
 * Where the time of one forward call at n = 4096 (L1) goes on the wasm backend, measured side by
 * side in ONE process with the contenders interleaved round by round: the kernel alone (the
 * act_forward export on data already in the module's memory) of each smelu.wasm build given
 * (default: the shipped one, native/wasm/smelu.wasm; pass other builds to compare kernel
 * versions), then for the shipped build the kernel with the two copies the backend makes
 * (TypedArray.set in and out), the backend call, and the public API call (smelu.forward), each
 * on ordinary arrays (copied) and on arrays from smelu.allocArray (no copies); the check that
 * tells the two apart (per array); the TypeScript backend's call for scale. Each figure: the
 * median over the rounds of the best batch of a round, in ns per call and elements/ns.
 * `node bench/wasm-parts.js [--kind smelu|gelu|...] [--rounds N] [build.wasm ...]`
 */
const fs = require('node:fs');
const path = require('node:path');

process.env.SMELU_BACKEND = 'wasm';
const { fillUniform, loadDist, measure, median } = require('./lib/util');
const { SHIPPED_WASM, wasmKernel } = require('./lib/wasm');

const SPEC = {
  name: 'wasm-parts',
  usage:
    'usage: node bench/wasm-parts.js [--kind K] [--rounds N] [build.wasm ...]\n' +
    '  --kind K     activation kind, default smelu (beta 1)\n' +
    '  --rounds N   rounds, each contender once per round (default 7)\n' +
    '  build.wasm   builds whose kernel alone to time (default: the shipped one)\n' +
    '  --help       this text',
  options: { kind: { type: 'string' }, rounds: { type: 'string' } },
  positionals: true,
};
const N = 4096;

function cases(kind, builds) {
  const smelu = loadDist('index.js');
  const { jsBackend } = loadDist('backend/js.js');
  const backend = loadDist('runtime.js').selected().backend;
  const { checkBlock } = loadDist('backend/blocks.js');
  const spec = smelu.activation(kind === 'smelu' ? { kind, beta: 1 } : kind);
  const x = fillUniform(new Float32Array(N), -8, 8, 4);
  const y = new Float32Array(N);
  const xa = smelu.allocArray(N);
  const ya = smelu.allocArray(N);
  xa.set(x);
  /** `per` calls of check on `a` in one run (one call is too short to time by itself). */
  const checks = (a, per = 100) => () => {
    for (let i = 0; i < per; i++) checkBlock('x', a);
  };
  const list = builds.map((file) => ({ name: `kernel alone, ${path.basename(file)}`, run: wasmKernel(spec.code, spec.params, x, file).forward }));
  list.push(
    { name: 'kernel + copies in and out', run: wasmKernel(spec.code, spec.params, x).forwardCopying(y) },
    { name: 'wasm backend call', run: () => backend.actForward(spec.code, spec.params, x, y) },
    { name: 'public API (smelu.forward)', run: () => smelu.forward(spec, x, y) },
    { name: 'wasm backend call, allocArray arrays', run: () => backend.actForward(spec.code, spec.params, xa, ya) },
    { name: 'public API, allocArray arrays', run: () => smelu.forward(spec, xa, ya) },
    { name: 'block check, allocArray array', run: checks(xa), per: 100 },
    { name: 'block check, ordinary array', run: checks(x), per: 100 },
    { name: 'TypeScript backend call', run: () => jsBackend.actForward(spec.code, spec.params, x, y) },
  );
  return list;
}

async function main() {
  const { runCommand, UsageError } = loadDist('cli-args.js');
  process.exitCode = await runCommand(SPEC, process.argv.slice(2), async ({ values, positionals }) => {
    const rounds = values.rounds === undefined ? 7 : Number(values.rounds);
    if (!Number.isInteger(rounds) || rounds < 1) throw new UsageError(`--rounds must be an integer >= 1, got '${values.rounds}'`);
    const kind = values.kind ?? 'smelu';
    const { ACTIVATION_KINDS } = loadDist('backend/types.js');
    if (!ACTIVATION_KINDS.includes(kind)) throw new UsageError(`--kind must be one of ${ACTIVATION_KINDS.join(', ')}, got '${kind}'`);
    const builds = positionals.length ? positionals.map((p) => path.resolve(p)) : [SHIPPED_WASM];
    const missing = builds.find((f) => !fs.existsSync(f));
    if (missing) throw new UsageError(`no such build: '${missing}'`);
    const list = cases(kind, builds);
    const ns = list.map(() => []);
    for (let r = 0; r < rounds; r++) {
      process.stderr.write(`round ${r + 1}/${rounds}\n`);
      list.forEach((c, i) => ns[i].push(measure(c.run, { budgetMs: 150, minSampleMs: 0.02, warmup: 200 }).bestNs));
    }
    console.log(`${kind} forward, n = ${N}: median of ${rounds} rounds (best batch of each)`);
    list.forEach((c, i) => {
      const t = median(ns[i]) / (c.per ?? 1);
      if (c.per) return console.log(`${c.name.padEnd(40)} ${t.toFixed(1).padStart(7)} ns per array`);
      console.log(`${c.name.padEnd(40)} ${t.toFixed(0).padStart(7)} ns  ${(N / t).toPrecision(3).padStart(6)} elements/ns`);
    });
    return 0;
  });
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
