/**
 * Training progress for {@link fit}: epoch, bar, examples per second, running loss and learning
 * rate, on the shared display of lib/progress.ts (redrawn in place on a terminal and cut to its
 * width, plain throttled lines otherwise).
 */
import { formatCount, formatLine, Progress, type ProgressOptions, type ProgressState } from '../progress';
import type { ProgressEvent } from './train';

export { formatCount, progressBar } from '../progress';

/** Options of {@link terminalProgress}: stream, least time between redraws, widest bar. */
export interface TerminalProgressOptions extends Omit<ProgressOptions, 'barWidth'> {
  /** Widest bar in characters (default 24; narrower when the terminal is). */
  width?: number;
}

function state(e: ProgressEvent): ProgressState {
  const parts = [`${formatCount(e.examplesPerSec)} ex/s`, `loss ${Number.isFinite(e.loss) ? e.loss.toFixed(4) : String(e.loss)}`, `lr ${e.lr.toPrecision(3)}`];
  for (const [k, v] of Object.entries(e.validation ?? {})) parts.push(`val_${k} ${v.toFixed(4)}`);
  return {
    label: `epoch ${Math.min(e.epoch + 1, e.epochs)}/${e.epochs}`,
    fraction: e.batchesPerEpoch ? e.batch / e.batchesPerEpoch : 1,
    detail: parts.join('  '),
  };
}

/**
 * One status line for an event, not cut to any width.
 * @param e the event.
 * @param width bar width (default 24).
 * @returns epoch, bar, percent, examples per second, loss, learning rate and validation metrics.
 */
export function formatProgress(e: ProgressEvent, width = 24): string {
  return formatLine(state(e), undefined, width);
}

/**
 * A callback for fit's onProgress that draws on a terminal (or writes lines to a log).
 * Step events are throttled; epoch-end events are always printed and stay on screen.
 * @param opts stream, redraw interval and bar width.
 * @returns the callback.
 */
export function terminalProgress(opts: TerminalProgressOptions = {}): (e: ProgressEvent) => void {
  const display = new Progress({ stream: opts.stream, intervalMs: opts.intervalMs, barWidth: opts.width });
  return (e) => {
    if (e.phase === 'step') display.update(state(e));
    else if (e.phase === 'epoch') display.commit(state(e));
    else display.end();
  };
}
