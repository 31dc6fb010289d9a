#!/usr/bin/env node
'use strict';
/**
 * Queue-mode throughput: the same sweep through a private loopback Redis, trained by 1 and then by
 * 2 `smelu worker` processes (one thread each), from an empty cache each time. Prints replicas per
 * minute and the ratio, then the same sweep on the local pool with as many threads (a control
 * without the queue). Needs redis-server and the optional packages bullmq and ioredis.
 *
 *   node bench/queue.js [--epochs N] [--replicas N] [--workers 1,2,1,2]   (repeat counts to interleave the runs)
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const ENV = { ...process.env, SMELU_THREADS: '1' };

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function run(args) {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => resolve({ code, err }));
  });
}

/** The replicas' own training times summed (each measured inside its worker thread). */
function trainingSeconds(out) {
  const dir = path.join(out, 'cache');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json'))
    .reduce((t, f) => t + JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')).seconds, 0);
}

async function main() {
  if (spawnSync('redis-server', ['--version']).error) throw new Error('redis-server is not installed');
  const epochs = arg('epochs', '40');
  const perPoint = arg('replicas', '4');
  const counts = arg('workers', '1,2').split(',').map(Number);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'smelu-queue-bench-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}/0`;
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', tmp], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  const rows = [];
  const sweep = ['--preset', 'quick', '--replicas', perPoint, '--activations', 'relu,smelu:1', '--sources', 'init,order', '--shuffle', 'full', '--lr', '0.05', '--epochs', epochs];
  const load0 = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  try {
    for (const [k, n] of counts.entries()) {
      spawnSync('redis-cli', ['-p', String(port), 'flushall']);
      const out = path.join(tmp, `run${k}`);
      const workers = Array.from({ length: n }, (_, i) => spawn(process.execPath, [CLI, 'worker', '--queue', url, '--threads', '1', '--dir', path.join(tmp, `d${k}-${i}`)], { cwd: ROOT, env: ENV, stdio: 'ignore' }));
      const t0 = process.hrtime.bigint();
      const r = await run(['repro', ...sweep, '--out', out, '--queue', url]).finally(() => workers.forEach((w) => w.kill('SIGKILL')));
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (r.code !== 0) throw new Error(`sweep failed:\n${r.err}`);
      const replicas = Number(/trained (\d+)/.exec(r.err)[1]);
      rows.push({ workers: n, replicas, seconds, perMinute: (60 * replicas) / seconds, training: trainingSeconds(out) });
    }
    // Control: the local pool with as many threads, on the same sweep (no queue involved).
    for (const [k, n] of counts.entries()) {
      const out = path.join(tmp, `local${k}`);
      const t0 = process.hrtime.bigint();
      const r = await run(['repro', ...sweep, '--out', out, '--threads', String(n)]);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (r.code !== 0) throw new Error(`local sweep failed:\n${r.err}`);
      const replicas = Number(/trained (\d+)/.exec(r.err)[1]);
      rows.push({ workers: `local pool, ${n} thread(s)`, replicas, seconds, perMinute: (60 * replicas) / seconds, training: trainingSeconds(out) });
    }
  } finally {
    redis.kill('SIGTERM');
  }
  console.log(`sweep: quick preset, ${rows[0].replicas} replicas of ${epochs} epochs; ${os.cpus().length} cores (shared with other jobs)`);
  console.log(`load average before: ${load0}, after: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log('| workers (queue) | replicas | sweep seconds | replicas / minute | x first 1-worker run | replica training seconds, summed |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.workers} | ${r.replicas} | ${r.seconds.toFixed(1)} | ${r.perMinute.toFixed(1)} | ${(r.perMinute / rows[0].perMinute).toFixed(2)} | ${r.training.toFixed(1)} |`);
}

main().catch((e) => {
  console.error(e.message);
  process.exitCode = 1;
});
