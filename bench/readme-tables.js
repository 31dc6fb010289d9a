#!/usr/bin/env node
'use strict';
/**
 * Prints the README's dense tables (forward and backward, 1 and 2 threads side by side, ours /
 * best peer by time) from the JSON of one or more `bench/run.js --suite dense` runs; several files
 * are the parts of one run split by --shapes, read as one. Ours is the packed-W forward and the
 * plain backward, as in the report's ratio tables.
 * Usage: node bench/readme-tables.js [--acts relu,smelu,gelu] RESULT.json...
 */
const fs = require('node:fs');
const { fmt } = require('./lib/util');

const USAGE = 'usage: node bench/readme-tables.js [--acts relu,smelu,gelu] RESULT.json...';

function parse(argv) {
  let acts = ['relu', 'smelu', 'gelu'];
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--acts' && i + 1 < argv.length) acts = argv[++i].split(',');
    else if (argv[i].startsWith('--')) return null;
    else files.push(argv[i]);
  }
  return files.length ? { acts, files } : null;
}

/** Rows and shapes of the dense suites of all files, in file order. */
function load(files) {
  const rows = [];
  const shapes = [];
  for (const f of files) {
    const dense = JSON.parse(fs.readFileSync(f, 'utf8')).suites.dense;
    if (!dense) throw new Error(`${f}: no dense suite`);
    rows.push(...dense.rows);
    for (const s of dense.shapes) if (!shapes.some((t) => t.join('x') === s.join('x'))) shapes.push(s);
  }
  return { rows, shapes };
}

/** [ours us, best peer us + name, ratio (ratio of best samples)] for one case, or dashes. */
function cells(rows, [m, k, n], act, direction, threads) {
  const here = rows.filter((r) => r.direction === direction && r.threads === threads && r.activation === act && r.m === m && r.k === k && r.n === n);
  const ours = here.find((q) => q.impl === 'smelu packed W') || here.find((q) => q.impl === 'smelu');
  const peers = here.filter((q) => !q.impl.startsWith('smelu')).sort((a, b) => a.ns - b.ns);
  if (!ours || !peers.length) return ['-', '-', '-'];
  const flops = (direction === 'forward' ? 2 : 4) * m * k * n;
  const bestNs = (r) => flops / r.bestGflops;
  const peerBest = Math.min(...peers.map(bestNs));
  const ratio = `${(ours.ns / peers[0].ns).toFixed(2)} (${(bestNs(ours) / peerBest).toFixed(2)})`;
  return [fmt(ours.ns / 1e3), `${fmt(peers[0].ns / 1e3)} ${peers[0].impl}`, ratio];
}

function table(rows, shapes, acts, direction) {
  const out = [
    '| m x k x n | activation | 1 thread: ours us | best peer us | ratio (best samples) | 2 threads: ours us | best peer us | ratio (best samples) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const shape of shapes) {
    for (const act of acts) {
      const c = [...cells(rows, shape, act, direction, 1), ...cells(rows, shape, act, direction, 2)];
      out.push(`| ${shape.join(' x ')} | ${act} | ${c.join(' | ')} |`);
    }
  }
  return out.join('\n');
}

function main() {
  const opts = parse(process.argv.slice(2));
  if (!opts) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  const { rows, shapes } = load(opts.files);
  console.log(`Forward:\n\n${table(rows, shapes, opts.acts, 'forward')}\n\nBackward:\n\n${table(rows, shapes, opts.acts, 'backward')}`);
}

main();
