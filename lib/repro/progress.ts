/**
 * The CLI's view of a run, on the shared progress display (stderr: stdout stays for the report
 * paths, so the command can be piped). The library runner itself never prints.
 */
import { Progress } from '../progress';
import type { ReproArgs } from './config';
import { runExperiment, type Dispatcher, type RunSummary } from './runner';

/** `1m05s`, `42s`: the time left, from the pace so far. */
function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export async function runWithProgress(a: ReproArgs, dispatcher?: Dispatcher): Promise<RunSummary> {
  const display = new Progress({ intervalMs: process.stderr.isTTY ? 200 : 30_000 });
  const label = `repro ${a.config.preset}`;
  const start = Date.now();
  try {
    return await runExperiment(a.config, {
      out: a.out,
      threads: a.threads,
      dispatcher,
      onProgress: (p) => {
        const eta = p.done ? ((Date.now() - start) / 1000 / p.done) * (p.total - p.done) : Infinity;
        const s = { label, fraction: p.total ? p.done / p.total : 1, detail: `${p.done}/${p.total} replicas | ${formatEta(eta)} left | ${p.label}${p.cached ? ' (cached)' : ''}` };
        if (p.done === p.total) display.commit(s);
        else display.update(s);
      },
    });
  } finally {
    display.end();
  }
}
