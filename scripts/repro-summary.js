#!/usr/bin/env node
// Prints the verdict digest (lib/repro/summary.ts) of one or more sweep output directories, for
// docs/reproducibility.md: `node scripts/repro-summary.js DIR [DIR ...]`, e.g. the digits run under docs/repro.
// Reads DIR/results.json, or DIR/results.json.gz as committed under docs/repro/.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { digest } = require('../dist/repro/summary.js');
const { sweepName } = require('../dist/repro/config.js');

const HEADLINE = ['smelu(beta=1)', 'gelu', 'swish(beta=1)'];

function readResults(dir) {
  const plain = path.join(dir, 'results.json');
  if (fs.existsSync(plain)) return JSON.parse(fs.readFileSync(plain, 'utf8'));
  const gz = `${plain}.gz`;
  if (fs.existsSync(gz)) return JSON.parse(zlib.gunzipSync(fs.readFileSync(gz)).toString('utf8'));
  throw new Error(`${dir}: neither results.json nor results.json.gz`);
}

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  process.stderr.write('usage: node scripts/repro-summary.js DIR [DIR ...]\n');
  process.exit(2);
}
for (const dir of dirs) {
  const r = readResults(dir);
  const preset = r.config.preset ?? path.basename(dir);
  const variant = sweepName({ preset, model: r.config.model ?? {} }).slice(preset.length);
  process.stdout.write(`### \`${preset}\`${variant}\n\n`);
  process.stdout.write(digest(r.verdicts, HEADLINE));
  process.stdout.write('\n');
}
