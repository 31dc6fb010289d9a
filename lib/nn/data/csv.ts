/**
 * CSV: one label column, categorical columns (hashed into buckets), every other column a dense
 * number. Quoted fields (RFC 4180, without line breaks inside quotes) are understood.
 */
import type { DatasetBuilder, BuilderShape } from './builder';
import { bucketOf, checkBuckets, hashString } from './hash';
import { loadLineChunks, loadLines, parseLines, type LineParser, type Loaded, type LoadOptions } from './lines';

/** Options of the CSV loaders. Column indices are 0-based; negative ones count from the end. */
export interface CsvOptions extends LoadOptions {
  /** Cell separator, non-empty, possibly several characters (default ','). */
  delimiter?: string;
  /** 'auto' (default): the first line is a header when a numeric column of it is not a number. */
  header?: boolean | 'auto';
  /** Index of the label column; negative counts from the end (default -1, the last). */
  labelColumn?: number;
  /** Columns holding categorical values (hashed into `buckets`, one field each, in column order). */
  categorical?: readonly number[];
  /** Columns to leave out. */
  ignore?: readonly number[];
  /** Buckets per categorical field (default 2^20); bucket 0 means an empty cell. */
  buckets?: number;
  /** Value for an empty numeric cell; without it an empty cell makes the line malformed. */
  missingValue?: number;
  /** Labels are class indices 0 .. numClasses-1 (checked). */
  numClasses?: number;
}

/**
 * Splits a CSV line; null when a quote is not closed.
 * @param line one line, without its line break.
 * @param delimiter cell separator (default ',').
 * @returns the cells, quotes removed and doubled quotes undone; null for an unclosed quote.
 */
export function splitCsvLine(line: string, delimiter = ','): string[] | null {
  if (!line.includes('"')) return line.split(delimiter);
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch !== '"') cell += ch;
      else if (line[i + 1] === '"') (cell += '"'), i++;
      else quoted = false;
    } else if (ch === '"') quoted = true;
    else if (line.startsWith(delimiter, i)) {
      cells.push(cell);
      cell = '';
      i += delimiter.length - 1;
    } else cell += ch;
  }
  if (quoted) return null;
  cells.push(cell);
  return cells;
}

/**
 * A finite number, or NaN for anything else (empty, text, Infinity).
 * @param cell the cell text (surrounding spaces allowed).
 * @returns the number, or NaN.
 */
export function parseNumber(cell: string): number {
  if (cell.trim() === '') return NaN;
  const v = Number(cell);
  return Number.isFinite(v) ? v : NaN;
}

type Role = 'label' | 'dense' | 'cat' | 'ignore';

/** The {@link LineParser} of the CSV loaders: column roles are fixed from the first line. */
export class CsvParser implements LineParser {
  private roles: Role[] = [];
  private numDense = 0;
  private numCat = 0;
  private readonly delimiter: string;
  private readonly buckets: number;

  /**
   * Checks the options; the column roles are set by {@link prepare}.
   * @param o the CSV options.
   * @throws TypeError for an empty delimiter, buckets not an integer from 2 to 2^32, or numClasses
   *   not an integer >= 2.
   */
  constructor(private readonly o: CsvOptions = {}) {
    this.delimiter = o.delimiter ?? ',';
    if (!this.delimiter) throw new TypeError('delimiter must not be empty');
    this.buckets = checkBuckets(o.buckets ?? 2 ** 20);
    if (o.numClasses !== undefined && (!Number.isInteger(o.numClasses) || o.numClasses < 2)) {
      throw new TypeError(`numClasses must be an integer >= 2, got ${o.numClasses}`);
    }
  }

  /** Dense and categorical column counts (known after {@link prepare}). */
  get shape(): BuilderShape {
    return { numDense: this.numDense, numCat: this.numCat, numClasses: this.o.numClasses };
  }

  /**
   * Column roles from the first line's column count.
   * @param firstLine the first non-blank line.
   * @throws RangeError when labelColumn or a categorical column is outside the columns.
   */
  prepare(firstLine: string): void {
    const n = (splitCsvLine(firstLine, this.delimiter) ?? []).length;
    const idx = (c: number): number => (c < 0 ? n + c : c);
    const label = idx(this.o.labelColumn ?? -1);
    if (label < 0 || label >= n) throw new RangeError(`labelColumn ${this.o.labelColumn} is outside the ${n} columns`);
    this.roles = new Array<Role>(n).fill('dense');
    for (const c of this.o.ignore ?? []) this.roles[idx(c)] = 'ignore';
    for (const c of this.o.categorical ?? []) {
      if (idx(c) < 0 || idx(c) >= n) throw new RangeError(`categorical column ${c} is outside the ${n} columns`);
      this.roles[idx(c)] = 'cat';
    }
    this.roles[label] = 'label';
    this.numDense = this.roles.filter((r) => r === 'dense').length;
    this.numCat = this.roles.filter((r) => r === 'cat').length;
  }

  /**
   * With header 'auto': a header when a dense or label cell is not a number.
   * @param line the first non-blank line.
   * @returns whether to skip it as a header.
   */
  isHeader(line: string): boolean {
    const h = this.o.header ?? 'auto';
    if (h !== 'auto') return h;
    const cells = splitCsvLine(line, this.delimiter) ?? [];
    return cells.some((c, i) => (this.roles[i] === 'dense' || this.roles[i] === 'label') && Number.isNaN(parseNumber(c)));
  }

  parse(line: string, b: DatasetBuilder): string | null {
    const cells = splitCsvLine(line, this.delimiter);
    if (!cells) return 'unclosed quote';
    if (cells.length !== this.roles.length) return `expected ${this.roles.length} columns, got ${cells.length}`;
    let d = 0;
    let c = 0;
    for (let i = 0; i < cells.length; i++) {
      const role = this.roles[i];
      if (role === 'ignore') continue;
      if (role === 'cat') {
        const v = cells[i].trim();
        b.rowCat[c] = v === '' ? 0 : bucketOf(hashString(v, c), this.buckets);
        c++;
        continue;
      }
      let v = parseNumber(cells[i]);
      if (Number.isNaN(v) && cells[i].trim() === '' && this.o.missingValue !== undefined && role === 'dense') v = this.o.missingValue;
      if (Number.isNaN(v)) return `column ${i + 1}: '${cells[i]}' is not a finite number`;
      if (role === 'dense') b.rowDense[d++] = v;
      else {
        const why = this.checkLabel(v);
        if (why) return `column ${i + 1}: ${why}`;
        b.rowLabel[0] = v;
      }
    }
    return null;
  }

  private checkLabel(v: number): string | null {
    const k = this.o.numClasses;
    if (k !== undefined && !(Number.isInteger(v) && v >= 0 && v < k)) return `label ${v} is not a class index in [0, ${k})`;
    return null;
  }
}

/**
 * Loads a CSV file (optionally gzipped), streamed line by line.
 * @param file path of the file.
 * @param opts columns, header, hashing and malformed-line policy.
 * @returns a promise of the dataset and the report.
 * @throws TypeError for invalid options (synchronously); the errors of {@link loadLines} as a
 *   rejection.
 */
export function loadCsv(file: string, opts: CsvOptions = {}): Promise<Loaded> {
  return loadLines(file, new CsvParser(opts), opts);
}

/**
 * A CSV file as chunks of at most `chunkRows` rows (bounded memory).
 * @param file path of the file.
 * @param opts as {@link loadCsv}, and `chunkRows` (default 65536).
 * @returns an async generator of chunks.
 * @throws TypeError for invalid options (synchronously); the errors of {@link loadLineChunks}
 *   when iterating.
 */
export function loadCsvChunks(file: string, opts: CsvOptions & { chunkRows?: number } = {}): AsyncGenerator<Loaded> {
  return loadLineChunks(file, new CsvParser(opts), opts);
}

/**
 * Parses CSV text already in memory. Synchronous.
 * @param text the whole text.
 * @param opts as {@link loadCsv}, and the `file` name for messages.
 * @returns the dataset and the report.
 * @throws TypeError for invalid options, RangeError for a column out of range, MalformedLineError
 *   under the 'error' policy.
 */
export function parseCsv(text: string, opts: CsvOptions & { file?: string } = {}): Loaded {
  return parseLines(text, new CsvParser(opts), opts);
}
