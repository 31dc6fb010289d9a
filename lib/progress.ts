/**
 * The one progress display of the command-line tools (training, the reproducibility lab, the
 * benchmarks). On a terminal: one line redrawn in place, cut to the terminal's width so that it
 * never wraps. Anywhere else (a pipe, a CI log): plain lines, at most one every few seconds.
 */

/** Where progress goes: process.stderr by default (stdout stays for results). */
export interface ProgressStream {
  /**
   * Writes text.
   * @param chunk the text: a redraw (starting with a carriage return) or whole lines.
   */
  write(chunk: string): unknown;
  /** True on a terminal: redraw in place rather than print lines. */
  isTTY?: boolean;
  /** The terminal's width; read at every redraw, so a resize takes effect. */
  columns?: number;
}

/** Options of {@link Progress}. */
export interface ProgressOptions {
  /** Default process.stderr. */
  stream?: ProgressStream;
  /** Least time between two updates (default 200 ms on a terminal, 5 s otherwise). */
  intervalMs?: number;
  /** Widest bar, in characters between the brackets (default 24); narrower when space is short. */
  barWidth?: number;
}

/** What a progress line shows: `<label> [####....]  42% <detail>`. */
export interface ProgressState {
  label: string;
  /** Done part, in [0, 1]. */
  fraction: number;
  detail: string;
}

/** Width assumed for a terminal that does not say. */
const DEFAULT_COLUMNS = 80;
/** The bar narrows to this before the detail is cut; when even this does not fit, it is left out. */
const MIN_BAR = 10;

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
 * `text` cut to at most `max` characters, ending in '…' when cut.
 * @param text one line, no escape sequences.
 * @param max the most characters kept.
 * @returns the line.
 */
export function fitLine(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/**
 * The line for a state.
 * @param s label, fraction and detail.
 * @param max the most characters, or undefined for no limit (the bar then has barWidth).
 * @param barWidth the widest bar.
 * @returns the line, never longer than max.
 */
export function formatLine(s: ProgressState, max: number | undefined, barWidth = 24): string {
  const head = `${s.label} `;
  const tail = ` ${plainTail(s)}`;
  // The bar takes what the detail leaves, from barWidth down to MIN_BAR; then the detail is cut.
  const room = max === undefined ? barWidth : Math.min(barWidth, Math.max(MIN_BAR, max - [...head].length - [...tail].length - 2));
  const fits = max === undefined || [...head].length + room + 2 + 5 <= max; // 5: ' 100%'
  const line = fits ? `${head}${progressBar(s.fraction, room)}${tail}` : `${s.label}${tail}`;
  return max === undefined ? line : fitLine(line, max);
}

/** `42% <detail>`: the line without label and bar. */
function plainTail(s: ProgressState): string {
  const pct = `${String(Math.round(Math.min(1, Math.max(0, s.fraction)) * 100)).padStart(3)}%`;
  return s.detail ? `${pct} ${s.detail}` : pct;
}

/** A progress display on one stream; see the module comment. */
export class Progress {
  private readonly stream: ProgressStream;
  private readonly interval: number;
  private readonly barWidth: number;
  private last = -Infinity;
  /** A redrawn line is on screen without its newline. */
  private open = false;

  constructor(opts: ProgressOptions = {}) {
    this.stream = opts.stream ?? process.stderr;
    this.interval = opts.intervalMs ?? (this.stream.isTTY ? 200 : 5000);
    this.barWidth = opts.barWidth ?? 24;
  }

  /** Shows `s` unless the last update was less than the interval ago. */
  update(s: ProgressState): void {
    const now = Date.now();
    if (now - this.last < this.interval) return;
    this.last = now;
    this.draw(s, false);
  }

  /** Shows `s` now and keeps it on screen (an epoch's result, the end of a run). */
  commit(s: ProgressState): void {
    this.last = Date.now();
    this.draw(s, true);
  }

  /** Ends a redrawn line, so that what follows starts on a line of its own. */
  end(): void {
    if (this.open) this.stream.write('\n');
    this.open = false;
  }

  private draw(s: ProgressState, keep: boolean): void {
    if (!this.stream.isTTY) {
      // Lines in a log: no bar (it says nothing there), cut only when the stream has a width.
      const cols = this.stream.columns;
      const line = `${s.label} ${plainTail(s).trimStart()}`;
      this.stream.write(`${cols ? fitLine(line, cols - 1) : line}\n`);
      return;
    }
    // One column less than the terminal: a line that fills the last column wraps on some terminals.
    const line = formatLine(s, (this.stream.columns || DEFAULT_COLUMNS) - 1, this.barWidth);
    this.stream.write(`\r${line}\x1b[K${keep ? '\n' : ''}`);
    this.open = !keep;
  }
}
