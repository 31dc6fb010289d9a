#!/usr/bin/env node
'use strict';
/**
 * smelu benchmark (`npm run bench`). Runs the activations, dense, training and eventloop suites, prints a
 * table per suite, and writes <out>/<date>-<host>.json, .md and SVG charts (default out:
 * bench/results/local, git-ignored). Progress goes to stderr. See `node bench/run.js --help`.
 *
 * Every measurement runs in a child process (bench/worker.js): the ISA tier and backend are fixed
 * per process, and OpenBLAS must start without this environment's OPENBLAS_* overrides.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { BENCH, progress, loadSmelu } = require('./lib/util');

const SUITES = ['activations', 'dense', 'training', 'eventloop'];
/** Git-ignored: a local run never touches the tracked reports that the README cites. */
const DEFAULT_OUT = path.join(BENCH, 'results', 'local');

const HELP = `usage: node bench/run.js [options]
  --quick          small sizes and short timings (whole run under a minute)
  --suite NAME     run one suite: ${SUITES.join(' | ')} (repeatable; default: all)
  --threads N      largest thread count for the dense suite (default 2)
  --rounds N       dense suite: measure every implementation N times, shape by shape, and keep
                   each one's best round (default 1; 2 or more on a busy machine)
  --json           print the result as JSON only (tables are not printed)
  --out DIR        where to write the .json, .md and .svg files (default bench/results/local,
                   not tracked by git; the README's figures live in bench/results)
  --help           this text
Options take their value as --name value or --name=value.`;

/** Bad command-line input: main() prints the message and the usage on stderr and exits 2. */
class UsageError extends Error {}

const OPTIONS = {
  quick: { type: 'boolean' },
  suite: { type: 'string', multiple: true },
  threads: { type: 'string' },
  rounds: { type: 'string' },
  json: { type: 'boolean' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

function parseOptions(argv) {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new UsageError(e.message);
  }
  const suites = values.suite || [];
  for (const s of suites) if (!SUITES.includes(s)) throw new UsageError(`--suite must be one of ${SUITES.join(', ')}, got '${s}'`);
  const threads = values.threads === undefined ? 2 : Number(values.threads);
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new UsageError(`--threads must be an integer from 1 to 64, got '${values.threads}'`);
  }
  const rounds = values.rounds === undefined ? 1 : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) {
    throw new UsageError(`--rounds must be an integer from 1 to 10, got '${values.rounds}'`);
  }
  return {
    rounds,
    quick: values.quick === true,
    suites: suites.length ? suites : [...SUITES],
    threads,
    json: values.json === true,
    out: path.resolve(values.out === undefined ? DEFAULT_OUT : values.out),
    help: values.help === true,
  };
}

function cpuModel() {
  try {
    const line = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1].trim();
  } catch {
    // not Linux: fall through
  }
  return os.cpus()[0] ? os.cpus()[0].model : 'unknown';
}

/** Peers: install when missing, except in --quick without an existing bench/peers/node_modules. */
function setUpPeers(opts) {
  const { ensurePeers, PEERS_DIR } = require('./lib/peers');
  const hasModules = fs.existsSync(path.join(PEERS_DIR, 'node_modules'));
  const { versions, notes } = ensurePeers({ allowInstall: !opts.quick || hasModules });
  return { versions, notes };
}

/** Builds the bench addon and probes the FMA peak (in a child: OpenBLAS env unset). */
async function probeMachine(opts) {
  const { ensureBuilt } = require('./lib/native');
  const { runTask } = require('./lib/child');
  const { NO_OPENBLAS_ENV } = require('./suites/dense');
  // Built here, loaded only by the children (which start OpenBLAS with the right environment).
  const buildError = ensureBuilt();
  if (buildError) return { addonError: buildError, fma: null, blas: null };
  progress('probing the FMA peak');
  const threads = opts.threads > 1 ? [1, opts.threads] : [1];
  try {
    const r = await runTask({ name: 'probe', threads, quick: opts.quick }, NO_OPENBLAS_ENV);
    return { addonError: null, fma: r.fma, blas: r.blas };
  } catch (e) {
    return { addonError: e.message.split('\n')[0], fma: null, blas: null };
  }
}

function stamp() {
  const d = new Date();
  const date = d.toISOString().slice(0, 10);
  const host = os.hostname().replace(/[^A-Za-z0-9_.-]/g, '_') || 'host';
  return { date, host };
}

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  if (opts.help) {
    console.log(HELP);
    return;
  }
  const t0 = Date.now();
  const smelu = loadSmelu();
  const info = smelu.info();
  const nativeLoaded = info.backend === 'native';
  const notes = [];
  if (!nativeLoaded) notes.push(`native backend not loaded (${info.reason}): only the TypeScript backend is measured`);
  const peers = setUpPeers(opts);
  notes.push(...peers.notes);
  const probe = await probeMachine(opts);
  if (probe.addonError) notes.push(`bench addon unavailable, no FMA peak or OpenBLAS: ${probe.addonError}`);

  const { date, host } = stamp();
  const result = {
    schema: 1,
    date,
    host,
    options: { quick: opts.quick, suites: opts.suites, threads: opts.threads, rounds: opts.rounds },
    machine: {
      cpu: cpuModel(),
      cores: os.cpus().length,
      node: process.version,
      napi: process.versions.napi,
      smelu: info,
      fmaPeak: probe.fma,
      openblas: probe.blas && probe.blas.blas ? { corename: probe.blas.corename, config: probe.blas.config } : null,
      peers: peers.versions,
    },
    suites: {},
    notes,
  };
  const ctx = {
    quick: opts.quick,
    threads: opts.threads,
    rounds: opts.rounds,
    smelu,
    nativeLoaded,
    nativeTiers: nativeLoaded ? info.supportedIsas.filter((t) => t !== 'js') : [],
    fma: probe.fma,
    addonError: probe.addonError,
    peers: new Set(Object.keys(peers.versions).filter((k) => peers.versions[k])),
  };
  for (const name of opts.suites) {
    const started = Date.now();
    progress(`suite ${name}`);
    const r = await require(`./suites/${name}`).run(ctx);
    r.seconds = (Date.now() - started) / 1000;
    result.suites[name] = r;
    notes.push(...(r.notes || []));
    progress(`suite ${name} done in ${r.seconds.toFixed(1)} s`);
  }
  if (probe.fma) notes.push(...require('./suites/dense').busyNotes(probe.fma));
  result.seconds = (Date.now() - t0) / 1000;
  await writeOutputs(result, opts);
  if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    console.log(require('./lib/report').textReport(result));
    console.log(`\nwrote ${[result.files.json, result.files.md, ...result.files.svg].map((f) => path.relative(process.cwd(), f)).join(', ')}`);
  }
  progress(`done in ${result.seconds.toFixed(1)} s`);
}

async function writeOutputs(result, opts) {
  const { writeCharts } = require('./lib/charts');
  const { markdownReport } = require('./lib/report');
  fs.mkdirSync(opts.out, { recursive: true });
  const base = `${result.date}-${result.host}`;
  const charts = await writeCharts(result, opts.out, base);
  result.notes.push(...charts.notes);
  const json = path.join(opts.out, `${base}.json`);
  const md = path.join(opts.out, `${base}.md`);
  result.files = { json, md, svg: charts.files };
  fs.writeFileSync(md, markdownReport(result, charts.files.map((f) => path.basename(f))));
  fs.writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
}

main().catch((e) => {
  if (e instanceof UsageError) {
    process.stderr.write(`bench: ${e.message}\n${HELP}\n`);
    process.exit(2);
  }
  process.stderr.write(`bench: ${e.message}\n`);
  process.exit(1);
});
