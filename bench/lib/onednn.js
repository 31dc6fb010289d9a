'use strict';
/**
 * oneDNN peer: runs bench/native/onednn_bench.cc (built beside the bench addon when libdnnl-dev is
 * installed) once per thread count, with OMP_NUM_THREADS set (oneDNN in Debian threads with
 * OpenMP). SMELU_BENCH_NO_ONEDNN=1 hides it, as on a machine without the library.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { ADDON } = require('./native');
const { progress } = require('./util');

const PROGRAM = path.join(path.dirname(ADDON), 'onednn_bench');
const HOW_TO_GET =
  'oneDNN peer skipped: libdnnl not found (apt-get install libdnnl-dev, then delete bench/build so the bench rebuilds its harness)';

/** null when the peer can run, else the one-line reason. */
function unavailable() {
  if (process.env.SMELU_BENCH_NO_ONEDNN === '1') return 'oneDNN peer skipped: SMELU_BENCH_NO_ONEDNN=1';
  return fs.existsSync(PROGRAM) ? null : HOW_TO_GET;
}

function runProgram(args, threads) {
  const env = { ...process.env, OMP_NUM_THREADS: String(threads) };
  return new Promise((resolve, reject) => {
    const child = spawn(PROGRAM, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out.trim().split('\n').map((l) => JSON.parse(l)));
      else reject(new Error(`onednn_bench exited ${code}: ${err.trim().split('\n').slice(-1)[0]}`));
    });
  });
}

/**
 * Times oneDNN's dense layer on every shape, activation (those oneDNN has) and thread count.
 * @returns { version, rows, kernels: { forward: [...], backward: [...] } }; rows carry
 *   impl 'onednn', the kernel oneDNN chose (impl_info_str) and ns / bestNs as measure() gives.
 */
async function runOnednn({ shapes, acts, threads, timing }) {
  const args = [
    '--acts', acts.join(','),
    '--shapes', shapes.map((s) => s.join('x')).join(','),
    '--budget-ms', String(timing.budgetMs),
    '--min-samples', String(timing.minSamples),
    '--warmup', String(timing.warmup),
  ];
  const rows = [];
  let version = null;
  for (const t of threads) {
    progress(`dense onednn t=${t}`);
    for (const line of await runProgram(args, t)) {
      if (line.version) version = line.version;
      else rows.push({ ...line, impl: 'onednn', threads: t });
    }
  }
  const kernels = {};
  for (const dir of ['forward', 'backward']) {
    kernels[dir] = [...new Set(rows.filter((r) => r.direction === dir).map((r) => r.kernel))];
  }
  return { version, rows, kernels };
}

module.exports = { runOnednn, unavailable, PROGRAM };
