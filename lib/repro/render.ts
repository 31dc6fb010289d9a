/**
 * Results as text and pictures: the markdown tables and the vega-lite specs of the charts (drawn
 * to SVG by lib/chart.ts).
 */
import type { VegaLiteSpec } from '../chart';
import type { ExperimentConfig, Source } from './config';
import type { PairwiseSummary } from './metrics';
import { primaryPd, type EnsembleResult, type PointResult, type Results } from './report';
import type { Summary } from './stats';

const f = (x: number | null | undefined, d = 3): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));
const ms = (s: Summary, d = 4): string => `${f(s.mean, d)} ± ${f(s.sd, d)}`;
const signed = (x: number | null, d = 2): string => (x === null ? '–' : `${x >= 0 ? '+' : ''}${x.toFixed(d)}`);
const pdCell = (s: PairwiseSummary | undefined, d = 2): string => (s ? `${f(s.mean, d)} ± ${f(s.sd, d)} [${f(s.lo, d)}, ${f(s.hi, d)}]` : '–');

function isBinary(cfg: ExperimentConfig): boolean {
  return cfg.data.kind === 'ctr';
}

function headers(binary: boolean): string[] {
  const q = binary ? 'AUC' : 'accuracy';
  const pd = binary
    ? ['relative PD % (mean ± sd [95% CI])', 'abs PD', 'L2 PD']
    : ['L1 PD % (mean ± sd [95% CI])', 'top-1 disagreement %'];
  return ['activation', 'param', 'log loss', q, 'Δ loss vs ReLU %', `Δ ${q}`, ...pd, 's / replica'];
}

function pdCells(r: PointResult | EnsembleResult, binary: boolean): string[] {
  return binary
    ? [pdCell(r.pd.relative), f(r.pd.absolute?.mean, 4), f(r.pd.l2?.mean, 4)]
    : [pdCell(r.pd.l1), pdCell(r.pd.top1)];
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(head: string[], rows: string[][]): string {
  return [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');
}

/** The swept beta, or the fixed parameters of a one-point family such as gSmeLU. */
function paramCell(r: PointResult): string {
  if (r.param !== null) return String(r.param);
  const inner = /\((.*)\)$/.exec(r.label);
  return inner ? inner[1] : '–';
}

/** The main table: every activation of one source. */
function pointsTable(cfg: ExperimentConfig, rows: PointResult[]): string {
  const binary = isBinary(cfg);
  return table(
    headers(binary),
    rows.map((r) => [
      r.family, paramCell(r), ms(r.loss), ms(r.quality),
      signed(r.lossChangePct), signed(r.qualityChange, 4), ...pdCells(r, binary), f(r.seconds, 1),
    ]),
  );
}

/** PD of each activation under each source, side by side. */
function sourcesTable(cfg: ExperimentConfig, res: Results): string {
  const labels = [...new Set(res.points.filter((p) => p.source !== cfg.sources[0]).map((p) => p.label))];
  const cell = (label: string, s: Source) => {
    const p = res.points.find((q) => q.label === label && q.source === s);
    return p ? `${f(primaryPd(p.pd).mean, 2)} ± ${f(primaryPd(p.pd).sd, 2)}` : '–';
  };
  return table(['activation', ...cfg.sources], labels.map((l) => [l, ...cfg.sources.map((s) => cell(l, s))]));
}

function ensembleTable(cfg: ExperimentConfig, res: Results, compare: PointResult[]): string {
  const binary = isBinary(cfg);
  const head = ['model', 'cost (x one model)', 'log loss', binary ? 'AUC' : 'accuracy', 'Δ loss vs ReLU %', ...headers(binary).slice(6, -1)];
  const rows = [
    ...res.ensembles.map((e) => [`${e.label} (K = ${e.k}, ${e.ensembles} ensembles)`, String(e.cost), ms(e.loss), ms(e.quality), signed(e.lossChangePct), ...pdCells(e, binary)]),
    ...compare.map((p) => [p.label, '1', ms(p.loss), ms(p.quality), signed(p.lossChangePct), ...pdCells(p, binary)]),
  ];
  return table(head, rows);
}

/** Kernel cost of each activation, and relative to ReLU. */
function costTable(res: Results): string {
  const relu = res.cost!.find((c) => c.label === 'relu')?.nsPerElement;
  return table(
    ['activation', 'ns / element', 'x ReLU'],
    res.cost!.map((c) => [c.label, f(c.nsPerElement, 3), relu ? f(c.nsPerElement / relu, 2) : '–']),
  );
}

/** The whole markdown report of a run. */
export function markdown(cfg: ExperimentConfig, res: Results, meta: { seconds: number; trained: number; cached: number; replicaSeconds?: number }): string {
  const primary = res.points.filter((p) => p.source === cfg.sources[0]);
  const pdName = isBinary(cfg) ? 'relative PD' : 'L1 PD';
  const smooth = primary.filter((p) => p.family === 'smelu' || p.family === 'gelu' || (p.family === 'swish' && p.param === 1));
  const parts = [
    `# Reproducibility sweep: preset \`${cfg.preset}\``,
    '',
    `${cfg.replicas} replicas per point; ${pdName} over all ${(cfg.replicas * (cfg.replicas - 1)) / 2} pairs (mean ± sd, and a 95% t-interval over pairs; pairs share models, so the interval is descriptive, not a test).`,
    `This run trained ${meta.trained} replicas and reused ${meta.cached} from the cache, in ${f(meta.seconds, 0)} s` +
      (meta.replicaSeconds === undefined ? '.' : `; the replicas' training times add up to ${f(meta.replicaSeconds, 0)} s (one worker each, on a shared machine).`),
    '',
    `## All activations, source \`${cfg.sources[0]}\``,
    '',
    pointsTable(cfg, primary),
  ];
  if (cfg.sources.length > 1) parts.push('', `## ${pdName} (%) by source of difference`, '', sourcesTable(cfg, res));
  for (const s of cfg.sources.slice(1)) {
    parts.push('', `### Source \`${s}\``, '', pointsTable(cfg, res.points.filter((p) => p.source === s)));
  }
  if (res.ensembles.length) parts.push('', '## Ensembles of ReLU models against single smooth models', '', ensembleTable(cfg, res, smooth));
  if (res.cost?.length) parts.push('', '## Activation cost (forward + backward, one thread, median ns per element)', '', costTable(res));
  return `${parts.join('\n')}\n`;
}

/** Rows of the tradeoff chart: one per point of the first source, plus the ensembles. */
function chartRows(cfg: ExperimentConfig, res: Results): Record<string, unknown>[] {
  const pts = res.points
    .filter((p) => p.source === cfg.sources[0] && p.lossChangePct !== null)
    .map((p) => ({ family: p.family, param: p.param ?? 0, text: p.param === null ? '' : String(p.param), label: p.label, x: p.lossChangePct, ...band(primaryPd(p.pd)) }));
  const ens = res.ensembles
    .filter((e) => e.lossChangePct !== null)
    .map((e) => ({ family: 'relu ensemble', param: e.k, text: `K=${e.k}`, label: `${e.label} K=${e.k}`, x: e.lossChangePct, ...band(primaryPd(e.pd)) }));
  return [...pts, ...ens];
}

/** Fixed colors: ReLU and its ensembles in black and gray, the SmeLU family in warm colors. */
const FAMILY_COLORS = {
  domain: ['relu', 'relu ensemble', 'smelu', 'gsmelu', 'rescu2', 'gelu', 'gelu_tanh', 'swish', 'softplus'],
  range: ['#000000', '#8c8c8c', '#d62728', '#ff7f0e', '#8c564b', '#1f77b4', '#17becf', '#2ca02c', '#9467bd'],
};

const band = (s: PairwiseSummary) => ({ y: s.mean, lo: s.lo, hi: s.hi });

/**
 * PD (vertical) against loss change vs ReLU (horizontal): one curve per family in parameter order,
 * one point per parameter value, error bars = the 95% interval over pairs.
 */
export function tradeoffSpec(cfg: ExperimentConfig, res: Results): VegaLiteSpec {
  const pdName = isBinary(cfg) ? 'relative PD (%)' : 'L1 PD (%)';
  const enc = {
    x: { field: 'x', type: 'quantitative', title: 'log loss change vs ReLU (%)', scale: { zero: false } },
    color: { field: 'family', type: 'nominal', title: 'family', scale: FAMILY_COLORS },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `${cfg.preset}: ${pdName} against loss change vs ReLU (source ${cfg.sources[0]}, ${cfg.replicas} replicas)`,
      subtitle: 'labels: beta (or ensemble size K); bars: 95% t-interval over pairs; lower and further left is better',
    },
    width: 560,
    height: 380,
    data: { values: chartRows(cfg, res) },
    layer: [
      { mark: { type: 'line', opacity: 0.6 }, encoding: { ...enc, y: { field: 'y', type: 'quantitative', title: pdName, scale: { zero: false } }, order: { field: 'param', type: 'quantitative' } } },
      { mark: { type: 'rule' }, encoding: { ...enc, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
      { mark: { type: 'point', filled: true, size: 50 }, encoding: { ...enc, y: { field: 'y', type: 'quantitative' }, tooltip: [{ field: 'label' }, { field: 'x' }, { field: 'y' }] } },
      { mark: { type: 'text', dx: 5, dy: -6, fontSize: 8, align: 'left' }, encoding: { ...enc, y: { field: 'y', type: 'quantitative' }, text: { field: 'text' } } },
    ],
  };
}

/** Grouped bars: PD per activation, one bar per source, with the 95% interval. */
export function sourcesSpec(cfg: ExperimentConfig, res: Results): VegaLiteSpec {
  const labels = new Set(res.points.filter((p) => p.source !== cfg.sources[0]).map((p) => p.label));
  const rows = res.points.filter((p) => labels.has(p.label)).map((p) => ({ label: p.label, source: p.source, ...band(primaryPd(p.pd)) }));
  const pdName = isBinary(cfg) ? 'relative PD (%)' : 'L1 PD (%)';
  const x = { field: 'label', type: 'nominal', title: 'activation', sort: null };
  const off = { field: 'source', type: 'nominal', sort: cfg.sources };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: `${cfg.preset}: ${pdName} by source of difference`, subtitle: 'bars: 95% t-interval over pairs' },
    width: 480,
    height: 300,
    data: { values: rows },
    layer: [
      { mark: 'bar', encoding: { x, xOffset: off, y: { field: 'y', type: 'quantitative', title: pdName }, color: { ...off, title: 'source' } } },
      { mark: 'rule', encoding: { x, xOffset: off, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
    ],
  };
}
