/**
 * The CLI's view of a run: a cli-progress bar on stderr (stdout stays for the report paths, so
 * the command can be piped). The library runner itself never prints.
 */
import { SingleBar } from 'cli-progress';
import type { ReproArgs } from './config';
import { runExperiment, type Dispatcher, type RunSummary } from './runner';

export async function runWithProgress(a: ReproArgs, dispatcher?: Dispatcher): Promise<RunSummary> {
  const bar = new SingleBar({
    stream: process.stderr,
    format: 'repro {preset} [{bar}] {value}/{total} replicas | {eta_formatted} left | {last}',
    etaBuffer: 20,
    // Redraw on every update and also when stderr is not a terminal (the background runs log to a file).
    noTTYOutput: true,
    notTTYSchedule: 30_000,
    hideCursor: false,
  });
  let started = false;
  try {
    return await runExperiment(a.config, {
      out: a.out,
      threads: a.threads,
      dispatcher,
      onProgress: (p) => {
        // Started on the first report, which carries the total (0 done).
        if (!started) bar.start(p.total, 0, { preset: a.config.preset, last: '' });
        started = true;
        bar.update(p.done, { last: `${p.label}${p.cached ? ' (cached)' : ''}` });
      },
    });
  } finally {
    bar.stop();
  }
}
