/**
 * A terminal progress reporter for {@link fit}: a bar for the epoch, examples per second, running
 * loss and learning rate, redrawn in place on a TTY and printed as plain lines otherwise (logs,
 * CI). Redraws are throttled so that printing never costs noticeable training time.
 */
import type { ProgressEvent } from './train';

/** Options of {@link terminalProgress}. */
export interface TerminalProgressOptions {
  /** Default process.stderr (stdout stays free for results). */
  stream?: NodeJS.WritableStream & {
    /** True on a terminal: redraw in place rather than print lines. */
    isTTY?: boolean;
    /** Terminal width of a tty stream (not used). */
    columns?: number;
  };
  /** Least time between two redraws (default 200 ms on a TTY, 5 s otherwise). */
  intervalMs?: number;
  /** Bar width in characters (default 24). */
  width?: number;
}

/**
 * Formats a count with thousands separators (fixed, locale-independent output).
 * @param n the count (rounded to an integer).
 * @returns e.g. '1,234,567'.
 */
export function formatCount(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * `[#####.....]` for a fraction in [0, 1].
 * @param fraction the filled part (clamped to [0, 1]).
 * @param width characters between the brackets.
 * @returns the bar.
 */
export function progressBar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, fraction));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

/**
 * One status line for an event.
 * @param e the event.
 * @param width bar width (default 24).
 * @returns epoch, bar, percent, examples per second, loss, learning rate and validation metrics.
 */
export function formatProgress(e: ProgressEvent, width = 24): string {
  const frac = e.batchesPerEpoch ? e.batch / e.batchesPerEpoch : 1;
  const parts = [
    `epoch ${Math.min(e.epoch + 1, e.epochs)}/${e.epochs}`,
    progressBar(frac, width),
    `${String(Math.round(frac * 100)).padStart(3)}%`,
    `${formatCount(e.examplesPerSec)} ex/s`,
    `loss ${Number.isFinite(e.loss) ? e.loss.toFixed(4) : String(e.loss)}`,
    `lr ${e.lr.toPrecision(3)}`,
  ];
  if (e.validation) {
    for (const [k, v] of Object.entries(e.validation)) parts.push(`val_${k} ${v.toFixed(4)}`);
  }
  return parts.join('  ');
}

/**
 * A callback for fit's onProgress that draws on a terminal (or writes lines to a log).
 * Step events are throttled; epoch-end events are always printed.
 * @param opts stream, redraw interval and bar width.
 * @returns the callback (it keeps the time of its last redraw).
 */
export function terminalProgress(opts: TerminalProgressOptions = {}): (e: ProgressEvent) => void {
  const stream = opts.stream ?? process.stderr;
  const tty = !!stream.isTTY;
  const interval = opts.intervalMs ?? (tty ? 200 : 5000);
  const width = opts.width ?? 24;
  let last = -Infinity;
  let open = false; // a redrawn line is on screen without its newline
  return (e) => {
    const line = formatProgress(e, width);
    if (e.phase === 'step') {
      const now = Date.now();
      if (now - last < interval) return;
      last = now;
      if (tty) {
        stream.write(`\r${line}\x1b[K`);
        open = true;
      } else stream.write(`${line}\n`);
      return;
    }
    if (e.phase === 'done') {
      if (open) stream.write('\n');
      open = false;
      return;
    }
    stream.write(tty ? `\r${line}\x1b[K\n` : `${line}\n`);
    open = false;
  };
}
