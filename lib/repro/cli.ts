/**
 * `smelu repro`: runs a reproducibility sweep from a preset, with overrides, a progress bar on
 * stderr and the report paths on stdout. Usage errors exit with 2, like the main command.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { activation, activationLabel, ACTIVATION_KINDS, type Activation } from '../activation';
import { usageFailure, UsageError } from '../cli-args';
import { PRESETS, SOURCES, type ExperimentConfig, type ReproArgs, type Source } from './config';

const REPRO_USAGE = `usage: smelu repro --preset quick|ctr|digits [options]

Trains N replicas per (activation, source of difference), measures the prediction difference (PD)
between every pair of replicas on held-out data, and writes results.json, results.md,
tradeoff.svg (and sources.svg) to the output directory. Finished replicas are cached in
<out>/cache: a rerun (or an interrupted sweep) only trains what is missing.

options:
  --preset NAME          quick (seconds, a smoke test), ctr (synthetic CTR, binary), digits (8x8 digits, 10 classes)
  --replicas N           replicas per point (>= 2; default from the preset)
  --activations LIST     comma-separated: relu, smelu, smelu:0.5, gsmelu, rescu2:1, gelu, gelu_tanh,
                         swish:2, softplus:4 (kind[:beta]); default: the preset's sweep
  --sources LIST         comma-separated from init, order, both, async, warm; the first one runs every
                         activation, the others the preset's comparison subset
  --epochs N             training epochs (default from the preset)
  --out DIR              output directory (default repro-<preset>)
  --threads N            worker threads (default: available cores)
  --ensembles LIST       ensemble sizes K of the ReLU baseline, e.g. 2,4; 'none' for no ensembles
  --layer-norm           normalize hidden layers (layer norm before the activation)
  --help                 print this help`;

/** The CLI's usage error (lib/cli-args.ts), re-exported for the lab's callers. */
export { UsageError };

export type { ReproArgs };

type Flags = Record<string, string>;

const FLAGS = ['preset', 'replicas', 'activations', 'sources', 'epochs', 'out', 'threads', 'ensembles'];
const SWITCHES = ['layer-norm'];

/** --name value / --name=value pairs, and switches without a value. */
function readFlags(args: string[]): Flags {
  const flags: Flags = {};
  for (let i = 0; i < args.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(args[i]);
    if (!m) throw new UsageError(`unexpected argument '${args[i]}'`);
    const [, name, inline] = m;
    if (SWITCHES.includes(name) && inline === undefined) {
      flags[name] = 'true';
      continue;
    }
    if (!FLAGS.includes(name)) throw new UsageError(`unknown option '--${name}'`);
    const value = inline ?? args[++i];
    if (value === undefined || value === '') throw new UsageError(`option '--${name}' needs a value`);
    flags[name] = value;
  }
  return flags;
}

function positiveInt(name: string, v: string, min = 1): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got '${v}'`);
  return n;
}

/** `kind` or `kind:beta` (gsmelu takes the sweep's leaky setting). */
export function parseActivation(s: string): Activation {
  const [kind, beta, ...rest] = s.trim().split(':');
  if (!(ACTIVATION_KINDS as readonly string[]).includes(kind) || kind === 'identity' || kind === 'sigmoid') {
    throw new UsageError(`unknown activation '${kind}' (use relu, smelu, gsmelu, rescu2, gelu, gelu_tanh, swish, softplus)`);
  }
  if (rest.length) throw new UsageError(`activation '${s}': expected kind or kind:beta`);
  const desc: Record<string, unknown> = kind === 'gsmelu' ? { kind, gNeg: 0.1, gPos: 1, alpha: 1, beta: 1 } : { kind };
  if (beta !== undefined) {
    if (!['smelu', 'gsmelu', 'rescu2', 'swish', 'softplus'].includes(kind)) throw new UsageError(`activation ${kind} takes no parameter`);
    const b = Number(beta);
    if (beta === '' || !Number.isFinite(b)) throw new UsageError(`activation '${s}': beta must be a number`);
    desc.beta = b;
  }
  try {
    return activation(desc as unknown as Activation).descriptor as Activation;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function parseList<T>(name: string, v: string, parse: (s: string) => T): T[] {
  const items = v.split(',').filter((s) => s.trim() !== '');
  if (!items.length) throw new UsageError(`--${name} needs at least one entry`);
  return items.map(parse);
}

function parseSource(s: string): Source {
  if (!(SOURCES as readonly string[]).includes(s.trim())) throw new UsageError(`unknown source '${s}' (use ${SOURCES.join(', ')})`);
  return s.trim() as Source;
}

/** `none`, or ensemble sizes >= 2 (the members are ReLU replicas of the first source). */
function parseEnsembles(v: string, base: ExperimentConfig['ensemble']): ExperimentConfig['ensemble'] {
  if (v === 'none') return null;
  const sizes = parseList('ensembles', v, (s) => positiveInt('ensembles', s.trim(), 2));
  return { activation: base?.activation ?? { kind: 'relu' }, source: base?.source ?? 'both', sizes };
}

/** Parses the arguments after `repro` into a config; throws {@link UsageError}. */
export function parseReproArgs(args: string[]): ReproArgs {
  const fl = readFlags(args);
  if (!fl.preset) throw new UsageError('--preset is required (quick, ctr or digits)');
  const make = PRESETS[fl.preset];
  if (!make) throw new UsageError(`unknown preset '${fl.preset}' (use ${Object.keys(PRESETS).join(', ')})`);
  const cfg = make();
  if (fl.replicas) cfg.replicas = positiveInt('replicas', fl.replicas, 2);
  if (fl.epochs) cfg.train.epochs = positiveInt('epochs', fl.epochs);
  if (fl.activations) {
    cfg.activations = parseList('activations', fl.activations, parseActivation);
    // An explicit list runs in full under every source: the preset's subset may not be in it.
    cfg.sourceSubset = null;
  }
  if (fl['layer-norm']) cfg.model.layerNorm = true;
  if (fl.ensembles) cfg.ensemble = parseEnsembles(fl.ensembles, cfg.ensemble);
  if (fl.sources) cfg.sources = [...new Set(parseList('sources', fl.sources, parseSource))];
  if (cfg.sources.includes('warm') && cfg.train.warmEpochs >= cfg.train.epochs) {
    throw new UsageError(`the warm source needs more epochs (${cfg.train.epochs}) than the warm-start checkpoint has (${cfg.train.warmEpochs})`);
  }
  const labels = cfg.activations.map(activationLabel);
  if (new Set(labels).size !== labels.length) throw new UsageError('--activations lists an activation twice');
  const threads = fl.threads ? positiveInt('threads', fl.threads) : Math.max(1, os.availableParallelism());
  return { config: cfg, out: path.resolve(fl.out ?? `repro-${cfg.preset}`), threads };
}

/** The `smelu repro` command; resolves to the exit code. */
export async function reproCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${REPRO_USAGE}\n`);
    return 0;
  }
  let parsed: ReproArgs;
  try {
    parsed = parseReproArgs(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return usageFailure({ name: 'smelu repro', usage: REPRO_USAGE }, e.message);
  }
  // Loaded here, not at the top: --help and usage errors need neither workers nor vega.
  const { runWithProgress } = await import('./progress');
  const summary = await runWithProgress(parsed);
  process.stdout.write(`${summary.files.join('\n')}\n`);
  const { canRenderSvg, SVG_HINT } = await import('../chart');
  if (!(await canRenderSvg())) process.stderr.write(`${SVG_HINT}\n`);
  process.stderr.write(`trained ${summary.trained}, cached ${summary.cached}, ${summary.seconds.toFixed(1)} s\n`);
  return 0;
}
