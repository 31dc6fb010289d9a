#!/usr/bin/env node
'use strict';
/**
 * smelu benchmark (`npm run bench`). Runs the activations, dense, training and eventloop suites at
 * one of three depths: --quick (does everything run: under a minute), the default main job (the
 * headline comparisons, under two minutes) and --full (every shape, activation, size and peer: the
 * README's tables, 15-25 minutes). Prints a table per suite and writes <out>/<date>-<host>.json,
 * .md and SVG charts (default out: bench/results/local, git-ignored). Progress goes to stderr. See `node bench/run.js --help`.
 *
 * Every measurement runs in a child process (bench/worker.js): the ISA tier and backend are fixed
 * per process, and OpenBLAS must start without this environment's OPENBLAS_* overrides.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { BENCH, progress, loadDist, loadSmelu } = require('./lib/util');

const SUITES = ['activations', 'dense', 'training', 'eventloop'];
/** Git-ignored: a local run never touches the tracked reports that the README cites. */
const DEFAULT_OUT = path.join(BENCH, 'results', 'local');

const HELP = `usage: node bench/run.js [options]
  --quick          small sizes and short timings: checks that everything runs (under a minute)
  --full           every size, shape and activation, longer timings: the README's tables
                   (15-25 minutes); default: the main job (key sizes, under two minutes)
  --suite NAME     run one suite: ${SUITES.join(' | ')} (repeatable; default: all)
  --threads N      largest thread count for the dense suite (default 2)
  --rounds N       dense suite: measure every implementation N times, shape by shape, and keep
                   each one's best round (default 1; 2 or more on a busy machine)
  --shapes LIST    dense suite: only these shapes, e.g. 512x512x512,16x512x512 (default: the
                   depth's shapes)
  --acts LIST      dense suite: only these activations, e.g. relu,gelu (default: the depth's)
  --impls LIST     dense suite: only these implementations, by label prefix, e.g.
                   smelu-native,openblas,onednn (default: all); with --shapes or --impls the
                   activation-share table is skipped
  --json           print the result as JSON only (tables are not printed)
  --out DIR        where to write the .json, .md and .svg files (default bench/results/local,
                   not tracked by git; the README's figures live in bench/results)
  --help           this text
Options take their value as --name value or --name=value.`;

/** The command-line convention every smelu command shares (lib/cli-args.ts, compiled). */
const cliArgs = () => loadDist('cli-args.js');

const SPEC = {
  name: 'bench',
  usage: HELP,
  options: {
    quick: { type: 'boolean' },
    full: { type: 'boolean' },
    suite: { type: 'string', multiple: true },
    threads: { type: 'string' },
    rounds: { type: 'string' },
    shapes: { type: 'string' },
    acts: { type: 'string' },
    impls: { type: 'string' },
    json: { type: 'boolean' },
    out: { type: 'string' },
  },
};

/** The options after parseArgs, checked; a bad value throws the shared UsageError (exit 2). */
function checkOptions(values) {
  const { UsageError } = cliArgs();
  const suites = values.suite || [];
  for (const s of suites) if (!SUITES.includes(s)) throw new UsageError(`--suite must be one of ${SUITES.join(', ')}, got '${s}'`);
  const threads = values.threads === undefined ? 2 : Number(values.threads);
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new UsageError(`--threads must be an integer from 1 to 64, got '${values.threads}'`);
  }
  if (values.quick && values.full) throw new UsageError('--quick and --full are two depths of the same run: give one of them');
  const rounds = values.rounds === undefined ? 1 : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) {
    throw new UsageError(`--rounds must be an integer from 1 to 10, got '${values.rounds}'`);
  }
  return {
    rounds,
    ...denseFilters(values, UsageError),
    quick: values.quick === true,
    profile: values.quick ? 'quick' : values.full ? 'full' : 'main',
    suites: suites.length ? suites : [...SUITES],
    threads,
    json: values.json === true,
    out: path.resolve(values.out === undefined ? DEFAULT_OUT : values.out),
  };
}

/** --shapes / --acts / --impls: lists that narrow the dense suite (null: everything). */
function denseFilters(values, UsageError) {
  const list = (name) => (values[name] === undefined ? null : values[name].split(',').map((v) => v.trim()).filter(Boolean));
  const shapes = list('shapes');
  const parsed = shapes
    ? shapes.map((s) => {
        const dims = s.split('x').map(Number);
        if (dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d >= 1 && d <= 65536)) {
          throw new UsageError(`--shapes must be a comma list of MxKxN with integers from 1 to 65536, got '${s}'`);
        }
        return dims;
      })
    : null;
  const { DESCRIPTOR_NAMES, IMPL_NAMES } = require('./suites/dense');
  const acts = list('acts');
  for (const a of acts || []) if (!DESCRIPTOR_NAMES.includes(a)) throw new UsageError(`--acts must name activations among ${DESCRIPTOR_NAMES.join(', ')}, got '${a}'`);
  const impls = list('impls');
  for (const i of impls || []) if (!IMPL_NAMES.includes(i)) throw new UsageError(`--impls must name implementations among ${IMPL_NAMES.join(', ')}, got '${i}'`);
  return { shapes: parsed, acts, impls };
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
  process.exitCode = await cliArgs().runCommand(SPEC, process.argv.slice(2), async ({ values }) => {
    await bench(checkOptions(values));
    return 0;
  });
}

async function bench(opts) {
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
    options: { quick: opts.quick, profile: opts.profile, suites: opts.suites, threads: opts.threads, rounds: opts.rounds, shapes: opts.shapes, acts: opts.acts, impls: opts.impls },
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
    profile: opts.profile,
    threads: opts.threads,
    rounds: opts.rounds,
    shapes: opts.shapes,
    acts: opts.acts,
    impls: opts.impls,
    smelu,
    nativeLoaded,
    nativeTiers: nativeLoaded ? info.supportedIsas.filter((t) => t !== 'js') : [],
    fma: probe.fma,
    addonError: probe.addonError,
    peers: new Set(Object.keys(peers.versions).filter((k) => peers.versions[k])),
  };
  // The shared progress display (lib/progress.ts): one line per finished suite.
  const display = new (loadDist('progress.js').Progress)();
  for (const [i, name] of opts.suites.entries()) {
    const started = Date.now();
    const state = (done, detail) => ({ label: 'bench', fraction: done / opts.suites.length, detail });
    display.update(state(i, `suite ${name}`));
    const r = await require(`./suites/${name}`).run(ctx);
    r.seconds = (Date.now() - started) / 1000;
    result.suites[name] = r;
    notes.push(...(r.notes || []));
    display.commit(state(i + 1, `suite ${name} done in ${r.seconds.toFixed(1)} s`));
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
  process.stderr.write(`bench: ${e.message}\n`);
  process.exit(1);
});
