'use strict';
/**
 * Compact tables of a bench result, as aligned text (terminal) or markdown (report file).
 * Each builder returns { title, headers, rows } so both renderings share one layout.
 */
const { fmt } = require('./util');

const SIZE_NAMES = { 4096: 'L1', 131072: 'L2', 67108864: 'DRAM' };

/** Numbers right-aligned; a table with `leftAlign` (key / value lists) keeps text left-aligned. */
function textTable({ title, headers, rows, leftAlign }) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const pad = (c, i) => (i === 0 || leftAlign ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]));
  const line = (cells) => cells.map(pad).join('  ').trimEnd();
  const head = leftAlign ? [] : [line(headers), widths.map((w) => '-'.repeat(w)).join('  ')];
  return [title, ...head, ...rows.map(line)].join('\n');
}

function mdTable({ title, headers, rows, leftAlign }) {
  const esc = (c) => String(c).replace(/\|/g, '\\|');
  return [
    `### ${title}`,
    '',
    `| ${headers.map(esc).join(' | ')} |`,
    `| ${headers.map((_, i) => (i === 0 || leftAlign ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

function peakText(fma) {
  if (!fma) return 'not measured';
  return Object.entries(fma)
    .map(([isa, byThreads]) => {
      const parts = Object.entries(byThreads).map(([t, g]) => `${fmt(g)}${t === '1' ? '' : ` (${t} threads)`}`);
      return `${isa} ${parts.join(', ')}`;
    })
    .join('; ');
}

function onednnText(dense) {
  const o = dense && dense.peers && dense.peers.onednn;
  if (!o) return '-';
  return `${o.version}: forward ${o.kernels.forward.join(', ')}; backward ${o.kernels.backward.join(', ')}`;
}

function machineTable(res) {
  const m = res.machine;
  const s = m.smelu;
  const peers = Object.entries(m.peers)
    .filter(([, v]) => v)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const rows = [
    ['cpu', `${m.cpu} (${m.cores} logical cores)`],
    ['smelu', `${s.version}, backend ${s.backend}, ISA in use ${s.isa} (supported: ${s.supportedIsas.join(', ')})`],
    ['threads', `activations 1; dense ${res.options.threads > 1 ? `1 and ${res.options.threads}` : '1'}`],
    ['node', `${m.node} (napi ${m.napi})`],
    ['compiler', s.compiler || '-'],
    ['FMA peak GFLOP/s', peakText(m.fmaPeak)],
    ['openblas', m.openblas ? `${m.openblas.corename} (${m.openblas.config})` : '-'],
    ['onednn', onednnText(res.suites.dense)],
    ['peers', peers || 'none installed'],
  ];
  const depth = res.options.profile === 'main' ? '' : `, --${res.options.profile}`;
  const title = `machine (${res.date}, ${res.host}${depth})`;
  return { title, headers: ['what', 'value'], rows, leftAlign: true };
}

/** One table per size: forward/backward elements per ns per tier, max error, cost vs SmeLU. */
function activationsTables(a) {
  const best = a.tiers.filter((t) => t !== 'js' && t !== 'wasm-simd128').slice(-1)[0] || 'js';
  return a.sizes.map((size) => {
    const at = (tier, act, dir) => a.rows.find((r) => r.tier === tier && r.activation === act && r.size === size && r.direction === dir);
    const acts = [...new Set(a.rows.map((r) => r.activation))];
    const rows = acts.map((act) => {
      const cells = a.tiers.map((t) => {
        const f = at(t, act, 'forward');
        const b = at(t, act, 'backward');
        return f && b ? `${fmt(f.elemsPerNs)} / ${fmt(b.elemsPerNs)}` : '-';
      });
      const errRows = a.rows.filter((r) => r.activation === act && r.size === size);
      const errs = errRows.map((r) => r.maxError);
      // Name the tiers out of contract, so a failing kernel is found from the table alone.
      const bad = [...new Set(errRows.filter((r) => !(r.maxError <= 1e-6)).map((r) => r.tier))];
      const f = at(best, act, 'forward');
      const b = at(best, act, 'backward');
      const cost = f && b ? `${fmt(f.costVsSmelu, 2)} / ${fmt(b.costVsSmelu, 2)}` : '-';
      const err = errs.length ? Math.max(...errs).toExponential(1) : '-';
      return [act, ...cells, bad.length ? `${err} (${bad.join(', ')})` : err, cost];
    });
    const copy = a.tiers.map((t) => {
      const c = a.memcpy.find((r) => r.tier === t && r.size === size);
      return c ? fmt(c.elemsPerNs) : '-';
    });
    rows.push(['memcpy', ...copy, '', '']);
    // The same SmeLU through the public call: what one call on an array this size delivers.
    const api = a.tiers.map((t) => {
      const f = at(t, 'smelu', 'forward');
      const b = at(t, 'smelu', 'backward');
      return f && b && f.apiElemsPerNs ? `${fmt(f.apiElemsPerNs)} / ${fmt(b.apiElemsPerNs)}` : '-';
    });
    rows.push(['smelu, per API call', ...api, '', '']);
    if (a.callNs) rows.push(['ns per call', ...a.tiers.map((t) => fmt(a.callNs[t])), '', '']);
    return {
      title: `activations, n = ${size} (${SIZE_NAMES[size] || ''}): kernel elements/ns forward / backward, 1 thread`,
      headers: ['activation', ...a.tiers, 'max err', `cost vs smelu (${best})`],
      rows,
    };
  });
}

const shapeKey = (r) => `${r.m}x${r.k}x${r.n}`;

/** One table per direction and thread count: GFLOP/s (% of FMA peak) per implementation. */
function denseTables(d) {
  const tables = [];
  for (const direction of ['forward', 'backward']) {
    for (const threads of d.threads) {
      const rows = d.rows.filter((r) => r.direction === direction && r.threads === threads);
      if (!rows.length) continue;
      const impls = [...new Set(rows.map((r) => r.impl))];
      const body = [];
      for (const [m, k, n] of d.shapes) {
        for (const act of d.acts) {
          const cells = impls.map((impl) => {
            const r = rows.find((q) => q.impl === impl && q.activation === act && shapeKey(q) === `${m}x${k}x${n}`);
            return r ? `${fmt(r.gflops)}${r.pctPeak ? ` (${Math.round(r.pctPeak)}%)` : ''}` : '-';
          });
          if (cells.some((c) => c !== '-')) body.push([`${m}x${k}x${n} ${act}`, ...cells]);
        }
      }
      tables.push({
        title: `dense ${direction}, ${threads} thread${threads > 1 ? 's' : ''}: GFLOP/s (% of FMA peak)`,
        headers: ['m x k x n activation', ...impls],
        rows: body,
      });
    }
  }
  return tables;
}

/**
 * ours / best peer, time (above 1: slower), per shape and activation: of the medians, and of the
 * best samples (each side's fastest sample, the best peer there possibly another). Ours is the packed-W row
 * for the forward (what a serving loop runs) and the plain one for the backward; peers are every
 * implementation that is not smelu (the ceiling of the TypeScript backend is not a peer).
 */
function ratioTables(d) {
  const tables = [];
  for (const direction of ['forward', 'backward']) {
    for (const threads of d.threads) {
      const rows = d.rows.filter((r) => r.direction === direction && r.threads === threads);
      const body = [];
      for (const [m, k, n] of d.shapes) {
        for (const act of d.acts) {
          const here = rows.filter((q) => q.activation === act && shapeKey(q) === `${m}x${k}x${n}`);
          const ours = here.find((q) => q.impl === 'smelu packed W') || here.find((q) => q.impl === 'smelu');
          const peers = here.filter((q) => !q.impl.startsWith('smelu')).sort((a, b) => a.ns - b.ns);
          if (!ours || !peers.length) continue;
          const best = peers[0];
          // Best samples too: on a busy machine they are what a quiet one gives.
          const bestNs = (r) => (2 * (direction === 'forward' ? 1 : 2) * m * k * n) / r.bestGflops;
          const peerBest = Math.min(...peers.map(bestNs));
          body.push([`${m}x${k}x${n} ${act}`, fmt(ours.ns / 1e3), best.impl, fmt(best.ns / 1e3), fmt(ours.ns / best.ns), fmt(bestNs(ours) / peerBest)]);
        }
      }
      if (!body.length) continue;
      tables.push({
        title: `dense ${direction}, ${threads} thread${threads > 1 ? 's' : ''}: time ours / best peer (above 1: slower)`,
        headers: ['m x k x n activation', 'ours us', 'best peer', 'peer us', 'ratio', 'ratio of best samples'],
        rows: body,
      });
    }
  }
  return tables;
}

function shareTable(d) {
  if (!d.share || !d.share.length) return null;
  const acts = [...new Set(d.share.map((r) => r.activation))];
  const ks = [...new Set(d.share.map((r) => r.k))];
  const rows = ks.map((k) => {
    const id = d.share.find((r) => r.k === k);
    const cells = acts.map((a) => {
      const r = d.share.find((q) => q.k === k && q.activation === a);
      return r ? `${Math.round(100 * r.share) || 0}%` : '-';
    });
    return [String(k), fmt(id.identityMs), ...cells];
  });
  return {
    title: 'activation share of a dense layer forward (m = n = 512, 1 thread): (t_act - t_identity) / t_act',
    headers: ['k', 'identity ms', ...acts],
    rows,
  };
}

function eventloopTable(e) {
  if (!e || !e.rows || !e.rows.length) return null;
  return {
    title: `event loop under load: ${e.calls} concurrent denseForwardAsync (${e.shape} ${e.activation}, packed W, no z), delay in ms`,
    headers: ['outputs', 'threads', 'p50 ms', 'p99 ms', 'max ms', 'calls/s'],
    rows: e.rows.map((r) => [r.outputs, String(r.threads), fmt(r.p50Ms), fmt(r.p99Ms), fmt(r.maxMs), fmt(r.callsPerSec)]),
  };
}

function trainingTable(t) {
  if (!t || !t.rows || !t.rows.length) return null;
  return {
    title: 'training: examples per second',
    headers: ['model', 'implementation', 'activation', 'threads', 'batch', 'examples/s', 'ms / step'],
    rows: t.rows.map((r) => [r.model, r.impl, r.activation, String(r.threads), String(r.batch), fmt(r.examplesPerSec), fmt(r.msPerStep)]),
  };
}

/** All tables of a result, in print order. */
function tables(res) {
  const out = [machineTable(res)];
  const s = res.suites;
  if (s.activations) out.push(...activationsTables(s.activations));
  if (s.dense) {
    out.push(...denseTables(s.dense));
    out.push(...ratioTables(s.dense));
    const sh = shareTable(s.dense);
    if (sh) out.push(sh);
  }
  const tr = trainingTable(s.training);
  if (tr) out.push(tr);
  const el = eventloopTable(s.eventloop);
  if (el) out.push(el);
  return out;
}

function textReport(res) {
  const parts = tables(res).map(textTable);
  if (res.notes.length) parts.push(['notes:', ...res.notes.map((n) => `  - ${n}`)].join('\n'));
  return parts.join('\n\n');
}

function markdownReport(res, chartFiles) {
  const parts = [`# smelu benchmark, ${res.date}, ${res.host}`];
  parts.push(
    'Throughput is the median of repeated calls on preallocated arrays (activations: benchmark.js; ' +
      'dense and peers: warm-up then median of batches). Dense forward counts 2mkn flops, backward ' +
      '(dx + dW + db) 4mkn. "% of FMA peak" divides by the FP32 FMA peak probed in the same run at the same ' +
      'thread count (at least threads x the one-thread peak). openblas rows: sgemm alone for identity, sgemm followed by smelu.forward in place ' +
      'otherwise (no bias); its backward is smelu.backward then 3 sgemm. onednn rows: inner_product with ' +
      'the activation as a fused eltwise post-op, weights reordered once before timing; backward ' +
      'eltwise_backward + backward_data + backward_weights (with bias); oneDNN has no SmeLU. ' +
      'onnxruntime and TF.js compose SmeLU from elementwise ops (neither has it).',
  );
  parts.push(...tables(res).map(mdTable));
  if (chartFiles.length) parts.push(['### charts', '', ...chartFiles.map((f) => `![${f}](${f})`)].join('\n'));
  if (res.notes.length) parts.push(['### notes', '', ...res.notes.map((n) => `- ${n}`)].join('\n'));
  return `${parts.join('\n\n')}\n`;
}

module.exports = { textReport, markdownReport, tables, textTable, mdTable };
