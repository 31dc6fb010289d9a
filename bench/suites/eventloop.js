'use strict';
/**
 * Event-loop suite: how responsive the main thread stays while 1,000 denseForwardAsync calls are
 * in flight together (a server's burst of requests). Calls are issued 50 per turn of the loop, as
 * requests arrive; perf_hooks.monitorEventLoopDelay records the loop's delay meanwhile. Two
 * variants: outputs reused from a pool (what a server should do) and outputs allocated per call.
 * Reported: p50 / p99 / max delay (ms) and calls per second, at 1 and N pool threads. A figure,
 * never a test assertion: it depends on how busy the machine is.
 */
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { loadSmelu, progress, fillUniform } = require('../lib/util');
const { runTask } = require('../lib/child');

const SHAPE = [64, 256, 256];
const CHUNK = 50;

function plan(ctx) {
  return {
    calls: ctx.quick ? 200 : 1000,
    rounds: ctx.profile === 'full' ? 5 : 1,
    threads: ctx.threads > 1 ? [1, ctx.threads] : [1],
    outputs: ['reused', 'allocating'],
  };
}

/** One burst: `calls` calls, CHUNK per turn of the event loop, all pending together. */
function burst(smelu, { calls, outs, args }) {
  const pending = [];
  return new Promise((resolve, reject) => {
    const issue = (from) => {
      for (let i = from; i < Math.min(calls, from + CHUNK); i++) {
        const out = outs ? outs[i] : new Float32Array(args.m * args.n);
        pending.push(smelu.denseForwardAsync({ ...args, x: args.xs[i % args.xs.length], out }));
      }
      if (from + CHUNK < calls) setImmediate(() => issue(from + CHUNK));
      else Promise.all(pending).then(resolve, reject);
    };
    issue(0);
  });
}

/** Child: the bursts of one variant at one thread count, delay histogram over all rounds. */
async function eventloop(task) {
  const smelu = loadSmelu();
  smelu.setThreads(task.threads);
  const [m, k, n] = SHAPE;
  const a = Math.sqrt(3 / k);
  const xs = Array.from({ length: 16 }, (_, i) => fillUniform(new Float32Array(m * k), -1, 1, 100 + i));
  const W = smelu.packWeights(fillUniform(new Float32Array(k * n), -a, a, 12), k, n);
  const b = fillUniform(new Float32Array(n), -0.1, 0.1, 13);
  // A serving forward: no z (keepZ false), W packed once.
  const args = { xs, W, b, m, k, n, activation: smelu.activation({ kind: 'gelu' }), keepZ: false };
  const outs = task.outputs === 'reused' ? Array.from({ length: task.calls }, () => new Float32Array(m * n)) : null;
  await burst(smelu, { calls: Math.min(task.calls, 100), outs, args }); // warm-up
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < task.rounds; r++) await burst(smelu, { calls: task.calls, outs, args });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  h.disable();
  const ms = (ns) => ns / 1e6;
  return {
    row: {
      outputs: task.outputs,
      threads: task.threads,
      calls: task.calls,
      rounds: task.rounds,
      shape: SHAPE.join('x'),
      p50Ms: ms(h.percentile(50)),
      p99Ms: ms(h.percentile(99)),
      maxMs: ms(h.max),
      callsPerSec: (task.calls * task.rounds) / seconds,
    },
  };
}

async function run(ctx) {
  const p = plan(ctx);
  const out = { shape: SHAPE.join('x'), activation: 'gelu', calls: p.calls, rows: [], notes: [] };
  for (const threads of p.threads) {
    for (const outputs of p.outputs) {
      progress(`eventloop ${outputs} t=${threads}`);
      try {
        const r = await runTask({ name: 'eventloop', calls: p.calls, rounds: p.rounds, threads, outputs }, {});
        out.rows.push(r.row);
      } catch (e) {
        out.notes.push(`eventloop ${outputs} t=${threads} skipped: ${e.message.split('\n')[0]}`);
      }
    }
  }
  return out;
}

module.exports = { run, eventloop };
