/**
 * Line-oriented loading shared by the CSV, LIBSVM and Criteo readers: files are streamed line by
 * line (gzip detected from the magic bytes), so a file larger than memory can be read in chunks;
 * every malformed line is either fatal or skipped and reported with its line number, never
 * turned into a silently wrong row.
 */
import { closeSync, createReadStream, openSync, readSync } from 'fs';
import { createInterface } from 'readline';
import type { Readable } from 'stream';
import { createGunzip } from 'zlib';
import { DatasetBuilder, type BuilderShape } from './builder';
import type { Dataset } from './dataset';

/** What to do with a malformed line: throw, or skip and report it. */
export type OnMalformed = 'error' | 'skip';

/** A skipped line. */
export interface LineIssue {
  /** 1-based line number in the file (header and blank lines count). */
  line: number;
  /** Why the line was refused. */
  reason: string;
  /** The start of the offending line. */
  text: string;
}

/** Options every loader takes. */
export interface LoadOptions {
  /** 'error' (default): the first malformed line throws {@link MalformedLineError}; 'skip': it is left out and reported. */
  onMalformed?: OnMalformed;
  /** Called for every skipped line (also those beyond `maxIssues`). */
  onIssue?: (issue: LineIssue) => void;
  /** Issues kept in the report (default 100); the count is always exact. */
  maxIssues?: number;
  /** Stop after this many rows. */
  limit?: number;
}

/** What a load read and left out. */
export interface LoadReport {
  /** The file name ('<text>' for text in memory, unless named). */
  file: string;
  /** Lines read (including header, blank and skipped ones). */
  lines: number;
  /** Rows in the data. */
  rows: number;
  /** Malformed lines left out (with onMalformed 'skip'). */
  skipped: number;
  /** Blank lines. */
  blank: number;
  /** Whether the first non-blank line was taken as a header. */
  header: boolean;
  /** The first `maxIssues` skipped lines. */
  issues: LineIssue[];
}

/** A loaded dataset with its report. */
export interface Loaded {
  /** The rows. */
  dataset: Dataset;
  /** What was read and skipped. */
  report: LoadReport;
}

/** Thrown (or rejected with) for the first malformed line when onMalformed is 'error'. */
export class MalformedLineError extends Error {
  /**
   * Names the file, line and reason.
   * @param file the file name; the message is `file:line: reason`.
   * @param line 1-based line number.
   * @param reason why the line was refused.
   */
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'MalformedLineError';
  }
}

/** Turns one line into the builder's scratch row; returns why it cannot, or null when it did. */
export interface LineParser {
  /** The columns; read after {@link prepare}, when the first row is about to be built. */
  readonly shape: BuilderShape;
  /**
   * Sees the first non-blank line first (e.g. to count the columns of a CSV).
   * @param firstLine the line, before it is parsed or taken as a header.
   * @throws Error of any kind to refuse the file (e.g. RangeError for a column out of range).
   */
  prepare?(firstLine: string): void;
  /**
   * Whether the first non-blank line is a header rather than data.
   * @param line the first non-blank line.
   * @returns true to skip it as a header.
   */
  isHeader?(line: string): boolean;
  /**
   * Fills the builder's scratch row from one line.
   * @param line a non-blank line.
   * @param b the builder whose rowDense / rowCat / rowLabel / rowBags to fill (not commit).
   * @returns null when the row is complete, else why the line is malformed.
   */
  parse(line: string, b: DatasetBuilder): string | null;
  /**
   * Whether a line leaves a quoted field open (an odd number of quote characters): the record
   * then continues on the next line (RFC 4180 line breaks inside quotes). Without this method
   * every line is one record.
   * @param line one physical line.
   * @returns true when the line toggles the quote state.
   */
  togglesQuote?(line: string): boolean;
}

/** A record spanning more characters than this is refused: an unclosed quote must not swallow the file. */
export const MAX_RECORD_CHARS = 1 << 20;

/** Feeds lines to a parser and a builder, applying the malformed-line policy. */
export class LineLoader {
  /** Counts so far (updated by every {@link feed}). */
  readonly report: LoadReport;
  private b: DatasetBuilder | null = null;
  private readonly policy: OnMalformed;
  private seenData = false;
  private pending: string | null = null;
  private pendingLine = 0;

  /**
   * Starts an empty report; the builder is made at the first data line.
   * @param file name for the report and error messages.
   * @param parser turns lines into rows.
   * @param opts malformed-line policy and limits.
   * @throws TypeError for an onMalformed other than 'error' or 'skip'.
   */
  constructor(
    file: string,
    private readonly parser: LineParser,
    private readonly opts: LoadOptions = {},
  ) {
    this.policy = opts.onMalformed ?? 'error';
    if (this.policy !== 'error' && this.policy !== 'skip') {
      throw new TypeError(`onMalformed must be 'error' or 'skip', got ${String(opts.onMalformed)}`);
    }
    this.report = { file, lines: 0, rows: 0, skipped: 0, blank: 0, header: false, issues: [] };
  }

  /** Created at the first data line, once the parser knows its columns. */
  get builder(): DatasetBuilder {
    if (!this.b) this.b = new DatasetBuilder(this.parser.shape);
    return this.b;
  }

  /** False once `limit` rows were read. */
  get wantsMore(): boolean {
    return this.opts.limit === undefined || this.report.rows < this.opts.limit;
  }

  /**
   * Takes the next line of the file: blank, header, row or malformed.
   * @param line the line, without its line break.
   * @throws MalformedLineError for a malformed line under the 'error' policy, and what the parser's
   *   prepare throws.
   */
  feed(line: string): void {
    const r = this.report;
    r.lines++;
    const record = this.joinRecord(line);
    if (record !== null) this.feedRecord(record);
  }

  /**
   * Ends the input: a record still inside quotes is malformed.
   * @throws MalformedLineError under the 'error' policy for an unclosed quote.
   */
  end(): void {
    if (this.pending === null) return;
    const text = this.pending;
    this.pending = null;
    this.malformed('unclosed quote at the end of the file', text, this.pendingLine);
  }

  /** Collects the physical lines of one record; null while a quoted field is still open. */
  private joinRecord(line: string): string | null {
    const toggles = this.parser.togglesQuote?.(line) ?? false;
    if (this.pending === null) {
      if (!toggles) return line;
      this.pending = line;
      this.pendingLine = this.report.lines;
      return null;
    }
    this.pending += '\n' + line;
    if (!toggles) {
      if (this.pending.length <= MAX_RECORD_CHARS) return null;
      const text = this.pending;
      this.pending = null;
      this.malformed(`a quoted field runs over ${MAX_RECORD_CHARS} characters (unclosed quote?)`, text, this.pendingLine);
      return null;
    }
    const record = this.pending;
    this.pending = null;
    return record;
  }

  private feedRecord(line: string): void {
    const r = this.report;
    if (line.trim() === '') {
      r.blank++;
      return;
    }
    if (!this.seenData) {
      this.seenData = true;
      this.parser.prepare?.(line);
      if (this.parser.isHeader?.(line)) {
        r.header = true;
        return;
      }
    }
    const why = this.parser.parse(line, this.builder);
    if (why === null) {
      this.builder.commit();
      r.rows++;
      return;
    }
    this.malformed(why, line, this.recordStart(line));
  }

  /** 1-based number of the record's first line (a multi-line record is reported where it starts). */
  private recordStart(record: string): number {
    let breaks = 0;
    for (let i = record.indexOf('\n'); i >= 0; i = record.indexOf('\n', i + 1)) breaks++;
    return this.report.lines - breaks;
  }

  private malformed(reason: string, line: string, at: number): void {
    const r = this.report;
    if (this.policy === 'error') throw new MalformedLineError(r.file, at, reason);
    const issue = { line: at, reason, text: line.slice(0, 120) };
    r.skipped++;
    if (r.issues.length < (this.opts.maxIssues ?? 100)) r.issues.push(issue);
    this.opts.onIssue?.(issue);
  }
}

/**
 * True when the file starts with the gzip magic bytes. Synchronous (reads 2 bytes).
 * @param file path of the file.
 * @returns whether it starts with 1f 8b.
 * @throws Error from the file system (e.g. ENOENT) when the file cannot be opened.
 */
export function isGzip(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/**
 * The lines of a (possibly gzipped) text file, streamed (CRLF or LF endings).
 * @param file path of the file.
 * @returns an async generator of lines, without their line breaks; stopping early closes the file.
 * @throws Error from the file system or gunzip, when iterating.
 */
export async function* readLines(file: string): AsyncGenerator<string> {
  const gz = isGzip(file); // first: a missing file throws here, before any stream exists
  const raw = createReadStream(file);
  const input: Readable = gz ? raw.pipe(createGunzip()) : raw;
  // Errors of the file stream do not propagate through pipe(); forward them to what readline reads.
  if (input !== raw) raw.on('error', (e) => input.destroy(e));
  const rl = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of rl) yield line;
  } finally {
    rl.close();
    raw.destroy();
  }
}

/**
 * Reads a whole file into one dataset. The reading is asynchronous; parsing runs on the calling
 * thread between reads.
 * @param file path of the file (gzip detected from its bytes).
 * @param parser turns lines into rows.
 * @param opts malformed-line policy and limits.
 * @returns a promise of the dataset and the report.
 * @throws TypeError for invalid options, MalformedLineError, or the file system's errors, all as a
 *   rejection.
 */
export async function loadLines(file: string, parser: LineParser, opts: LoadOptions = {}): Promise<Loaded> {
  const loader = new LineLoader(file, parser, opts);
  for await (const line of readLines(file)) {
    if (!loader.wantsMore) break;
    loader.feed(line);
  }
  loader.end();
  return { dataset: loader.builder.finish(), report: loader.report };
}

/**
 * Reads a file as a sequence of datasets of at most `chunkRows` rows: memory stays bounded by one
 * chunk whatever the file size. The report (shared, cumulative) is updated as lines are read.
 * @param file path of the file.
 * @param parser turns lines into rows.
 * @param opts loader options and `chunkRows` (default 65536).
 * @returns an async generator of chunks (the last may be shorter; none is empty).
 * @throws TypeError for a chunkRows that is not a positive integer, and the errors of
 *   {@link loadLines}, when iterating.
 */
export async function* loadLineChunks(
  file: string, parser: LineParser, opts: LoadOptions & { chunkRows?: number } = {},
): AsyncGenerator<Loaded> {
  const chunkRows = opts.chunkRows ?? 65536;
  if (!Number.isInteger(chunkRows) || chunkRows < 1) throw new TypeError(`chunkRows must be a positive integer, got ${chunkRows}`);
  const loader = new LineLoader(file, parser, opts);
  for await (const line of readLines(file)) {
    if (!loader.wantsMore) break;
    loader.feed(line);
    if (loader.report.rows > 0 && loader.builder.rows === chunkRows) yield { dataset: loader.builder.finish(), report: loader.report };
  }
  loader.end();
  if (loader.builder.rows > 0) yield { dataset: loader.builder.finish(), report: loader.report };
}

/**
 * Parses text already in memory (small files, tests). Synchronous.
 * @param text the whole text; a final line break is optional.
 * @param parser turns lines into rows.
 * @param opts loader options and the `file` name for messages (default '<text>').
 * @returns the dataset and the report.
 * @throws TypeError for invalid options; MalformedLineError under the 'error' policy.
 */
export function parseLines(text: string, parser: LineParser, opts: LoadOptions & { file?: string } = {}): Loaded {
  const loader = new LineLoader(opts.file ?? '<text>', parser, opts);
  const lines = text.split(/\r?\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop(); // the final newline ends a line
  for (const line of lines) {
    if (!loader.wantsMore) break;
    loader.feed(line);
  }
  loader.end();
  return { dataset: loader.builder.finish(), report: loader.report };
}
