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

export type OnMalformed = 'error' | 'skip';

export interface LineIssue {
  line: number;
  reason: string;
  /** The start of the offending line. */
  text: string;
}

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

export interface LoadReport {
  file: string;
  /** Lines read (including header, blank and skipped ones). */
  lines: number;
  rows: number;
  skipped: number;
  blank: number;
  header: boolean;
  issues: LineIssue[];
}

export interface Loaded {
  dataset: Dataset;
  report: LoadReport;
}

export class MalformedLineError extends Error {
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
  /** Sees the first non-blank line first (e.g. to count the columns of a CSV). */
  prepare?(firstLine: string): void;
  /** Whether the first non-blank line is a header rather than data. */
  isHeader?(line: string): boolean;
  parse(line: string, b: DatasetBuilder): string | null;
}

/** Feeds lines to a parser and a builder, applying the malformed-line policy. */
export class LineLoader {
  readonly report: LoadReport;
  private b: DatasetBuilder | null = null;
  private readonly policy: OnMalformed;
  private seenData = false;

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

  feed(line: string): void {
    const r = this.report;
    r.lines++;
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
    this.malformed(why, line);
  }

  private malformed(reason: string, line: string): void {
    const r = this.report;
    if (this.policy === 'error') throw new MalformedLineError(r.file, r.lines, reason);
    const issue = { line: r.lines, reason, text: line.slice(0, 120) };
    r.skipped++;
    if (r.issues.length < (this.opts.maxIssues ?? 100)) r.issues.push(issue);
    this.opts.onIssue?.(issue);
  }
}

/** True when the file starts with the gzip magic bytes. */
export function isGzip(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** The lines of a (possibly gzipped) text file, streamed. */
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

/** Reads a whole file into one dataset. */
export async function loadLines(file: string, parser: LineParser, opts: LoadOptions = {}): Promise<Loaded> {
  const loader = new LineLoader(file, parser, opts);
  for await (const line of readLines(file)) {
    if (!loader.wantsMore) break;
    loader.feed(line);
  }
  return { dataset: loader.builder.finish(), report: loader.report };
}

/**
 * Reads a file as a sequence of datasets of at most `chunkRows` rows: memory stays bounded by one
 * chunk whatever the file size. The report (shared, cumulative) is updated as lines are read.
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
  if (loader.builder.rows > 0) yield { dataset: loader.builder.finish(), report: loader.report };
}

/** Parses text already in memory (small files, tests). */
export function parseLines(text: string, parser: LineParser, opts: LoadOptions & { file?: string } = {}): Loaded {
  const loader = new LineLoader(opts.file ?? '<text>', parser, opts);
  const lines = text.split(/\r?\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop(); // the final newline ends a line
  for (const line of lines) {
    if (!loader.wantsMore) break;
    loader.feed(line);
  }
  return { dataset: loader.builder.finish(), report: loader.report };
}
