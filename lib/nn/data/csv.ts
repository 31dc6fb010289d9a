/**
 * CSV and TSV: columns chosen by header name (or by 0-based index), one label column, numeric
 * columns (dense features), categorical columns (hashed into buckets), bag columns (several
 * values in one cell, e.g. `Action|Comedy`) and ignored ones. Quoted fields follow RFC 4180,
 * line breaks inside quotes included. Files are streamed (gzip detected), so a file larger than
 * memory can be read in chunks.
 *
 * Columns are counted one way everywhere: options take a header name or a 0-based index
 * (negative counts from the end), and messages name a column as `'name' (index i)`.
 *
 * Missing values (an empty cell): a numeric cell is a malformed line unless `missing` gives the
 * column a policy (a constant, or 'mean'); a categorical cell gets bucket 0, its own bucket; a
 * bag cell is an empty bag; a label cell is a malformed line.
 */
import type { DatasetBuilder, BuilderShape } from './builder';
import type { Dataset, DatasetColumns } from './dataset';
import { bucketOf, checkBuckets, hashString } from './hash';
import { loadLineChunks, loadLines, parseLines, type LineParser, type Loaded, type LoadOptions } from './lines';

/** A column: its header name, or its 0-based index (negative counts from the end). */
export type ColumnRef = string | number;

/** What an empty numeric cell becomes: a malformed line ('error'), the column's mean, or a constant. */
export type MissingPolicy = 'error' | 'mean' | number;

/**
 * Which label cells are the positive class (label 1; every other cell is 0):
 * a text (`'yes'`), a number, a comparison with a number (`'>=4'`, `'>3.5'`, `'<0'`, `'==1'`,
 * `'!=0'`; the cell must be a number), or a predicate over the cell's text.
 */
export type PositiveLabel = string | number | ((cell: string) => boolean);

/** Which column plays which role; shared by the CSV loaders and `nn.features`. */
export interface CsvColumns {
  /** The label column (default: the last); null for data without labels (labels are 0). */
  label?: ColumnRef | null;
  /** Old name of `label` (an index). */
  labelColumn?: number;
  /**
   * Numeric columns (dense features, in this order). Without it every column not given another
   * role is numeric; with it, a column given no role is an error (nothing is dropped silently).
   */
  numeric?: readonly ColumnRef[];
  /** Categorical columns (hashed into `buckets`, one field each, in this order). */
  categorical?: readonly ColumnRef[];
  /** Bag columns: name -> separator of the values in a cell, e.g. `{ genres: '|' }` (in this order). */
  bags?: Readonly<Record<string, string>>;
  /** Columns to leave out. */
  ignore?: readonly ColumnRef[];
  /** Text or thresholded labels: which cells are the positive class (see {@link PositiveLabel}). */
  positive?: PositiveLabel;
  /** With a text `positive`: the negative text; any other label cell is then a malformed line. */
  negative?: string;
  /** Empty numeric cells: one policy for every numeric column, or per column name (default 'error'). */
  missing?: MissingPolicy | Readonly<Record<string, MissingPolicy>>;
  /** Old form of `missing: number`. */
  missingValue?: number;
}

/** Options of the CSV loaders. */
export interface CsvOptions extends LoadOptions, CsvColumns {
  /** Cell separator, non-empty, possibly several characters (default ',', or a tab for *.tsv files). */
  delimiter?: string;
  /**
   * 'auto' (default): the first line is a header when the options name a column, or when a
   * numeric or label cell of it is not a number.
   */
  header?: boolean | 'auto';
  /** Buckets per categorical or bag field (default 2^20); bucket 0 means an empty cell. */
  buckets?: number;
  /** Labels are class indices 0 .. numClasses-1 (checked). */
  numClasses?: number;
}

/**
 * Splits a CSV record; null when a quote is not closed.
 * @param line one record (it may contain line breaks inside quotes).
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

/** Where every column went, resolved against a header (or a column count). */
export interface CsvLayout {
  /** The header's names, or null for a file without a header. */
  names: string[] | null;
  /** Columns in the file. */
  width: number;
  /** Index of the label column, or null. */
  label: number | null;
  /** Indices of the numeric columns, in feature order. */
  dense: number[];
  /** The missing-value policy of each numeric column, in feature order. */
  missing: MissingPolicy[];
  /** Indices of the categorical columns, in field order. */
  cat: number[];
  /** Indices and separators of the bag columns, in field order. */
  bags: Array<{ index: number; separator: string }>;
}

type Role = 'label' | 'numeric' | 'categorical' | 'bags' | 'ignore';
const COMPARISON = /^\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*$/;

/**
 * The label of a cell as 0 / 1 under a {@link PositiveLabel}, or a message why it has none.
 * @param positive the positive class.
 * @param negative the negative text (text `positive` only).
 * @returns a function from the cell to the label or a reason.
 * @throws TypeError for a comparison whose operand is not a number.
 */
function labelMapper(positive: PositiveLabel, negative: string | undefined): (cell: string) => number | string {
  if (typeof positive === 'function') return (c) => (positive(c) ? 1 : 0);
  const cmp = typeof positive === 'string' ? COMPARISON.exec(positive) : null;
  if (cmp) {
    const t = Number(cmp[2]);
    if (!Number.isFinite(t)) throw new TypeError(`positive: '${positive}' compares with '${cmp[2]}', which is not a number`);
    const test = { '>=': (v: number) => v >= t, '<=': (v: number) => v <= t, '==': (v: number) => v === t, '!=': (v: number) => v !== t, '>': (v: number) => v > t, '<': (v: number) => v < t }[cmp[1]]!;
    return (c) => {
      const v = parseNumber(c);
      return Number.isNaN(v) ? `label '${c}' is not a number (positive is '${positive}')` : test(v) ? 1 : 0;
    };
  }
  if (typeof positive === 'number') {
    return (c) => (Number.isNaN(parseNumber(c)) ? `label '${c}' is not a number` : parseNumber(c) === positive ? 1 : 0);
  }
  return (c) => {
    const v = c.trim();
    if (v === positive) return 1;
    if (negative === undefined || v === negative) return 0;
    return `label '${c}' is neither '${positive}' nor '${negative}'`;
  };
}

/** Whether the options name any column by text (then the file must have a header). */
function namesColumns(o: CsvColumns): boolean {
  const refs: unknown[] = [o.label, ...(o.numeric ?? []), ...(o.categorical ?? []), ...(o.ignore ?? [])];
  return refs.some((r) => typeof r === 'string') || Object.keys(o.bags ?? {}).length > 0 ||
    (typeof o.missing === 'object' && o.missing !== null && Object.keys(o.missing).length > 0);
}

/** Resolves the column options against a header or a column count; every check with a clear message. */
class LayoutResolver {
  private readonly roles: Array<[Role, string] | undefined>;

  constructor(
    private readonly names: string[] | null,
    private readonly width: number,
  ) {
    this.roles = new Array(width);
  }

  /** `'name' (index i)`, or `index i` without a header: how every message names a column. */
  describe(i: number): string {
    return describeColumn(this.names, i);
  }

  index(ref: ColumnRef, option: string): number {
    if (typeof ref === 'number') {
      const i = ref < 0 ? this.width + ref : ref;
      if (!Number.isInteger(ref) || i < 0 || i >= this.width) {
        throw new RangeError(`${option}: column index ${ref} is outside the ${this.width} columns (0-based; negative counts from the end)`);
      }
      return i;
    }
    if (typeof ref !== 'string') throw new TypeError(`${option}: a column is a header name or a 0-based index, got ${String(ref)}`);
    if (!this.names) {
      if (/^-?\d+$/.test(ref)) return this.index(Number(ref), option);
      throw new RangeError(`${option}: column '${ref}' is named, but the file has no header line (name columns by 0-based index)`);
    }
    const i = this.names.indexOf(ref);
    if (i < 0) throw new RangeError(`${option}: no column named '${ref}'; the columns are ${this.names.map((n) => `'${n}'`).join(', ')}`);
    if (this.names.indexOf(ref, i + 1) >= 0) throw new RangeError(`${option}: the header names '${ref}' twice`);
    return i;
  }

  assign(ref: ColumnRef, role: Role, option: string): number {
    const i = this.index(ref, option);
    const prev = this.roles[i];
    if (prev) throw new RangeError(`column ${this.describe(i)} is given two roles: ${prev[1]} and ${option}`);
    this.roles[i] = [role, option];
    return i;
  }

  /** Columns given no role: numeric when `numeric` was not given, else an error naming them. */
  rest(strict: boolean): number[] {
    const free = [...this.roles.keys()].filter((i) => !this.roles[i]);
    if (strict && free.length) {
      throw new RangeError(`column(s) ${free.map((i) => this.describe(i)).join(', ')} have no role: list them in numeric, categorical, bags or ignore`);
    }
    return free;
  }
}

/**
 * How messages name a column: `'name' (index i)` with a header, `index i` without.
 * @param names the header, or null.
 * @param i 0-based index.
 * @returns the description.
 */
export function describeColumn(names: readonly string[] | null, i: number): string {
  return names ? `'${names[i]}' (index ${i})` : `index ${i}`;
}

/**
 * Resolves column options against a header or a column count.
 * @param o the column options.
 * @param names the header's names, or null.
 * @param width columns in the file.
 * @returns the layout.
 * @throws RangeError for an unknown name, an index out of range, a column given two roles, a
 *   column given none while `numeric` is listed, or a `missing` entry for a non-numeric column.
 * @throws TypeError for a bad separator or missing policy.
 */
export function resolveCsvLayout(o: CsvColumns, names: string[] | null, width: number): CsvLayout {
  const r = new LayoutResolver(names, width);
  const labelRef = o.label === null ? null : o.label ?? o.labelColumn ?? -1;
  const label = labelRef === null ? null : r.assign(labelRef, 'label', 'label');
  for (const c of o.ignore ?? []) r.assign(c, 'ignore', 'ignore');
  const cat = (o.categorical ?? []).map((c) => r.assign(c, 'categorical', 'categorical'));
  const bags = Object.entries(o.bags ?? {}).map(([c, separator]) => {
    if (typeof separator !== 'string' || !separator) throw new TypeError(`bags: the separator of '${c}' must be a non-empty string`);
    return { index: r.assign(c, 'bags', 'bags'), separator };
  });
  const listed = (o.numeric ?? []).map((c) => r.assign(c, 'numeric', 'numeric'));
  const dense = o.numeric ? (r.rest(true), listed) : r.rest(false);
  const missing = dense.map(() => checkMissing(typeof o.missing === 'object' ? undefined : o.missing ?? o.missingValue, 'missing'));
  if (typeof o.missing === 'object' && o.missing !== null) {
    for (const [c, policy] of Object.entries(o.missing)) {
      const i = r.index(c, 'missing');
      const k = dense.indexOf(i);
      if (k < 0) throw new RangeError(`missing: column ${r.describe(i)} is not numeric (an empty categorical cell has its own bucket)`);
      missing[k] = checkMissing(policy, `missing['${c}']`);
    }
  }
  return { names, width, label, dense, missing, cat, bags };
}

function checkMissing(p: unknown, option: string): MissingPolicy {
  if (p === undefined) return 'error';
  if (p === 'error' || p === 'mean' || (typeof p === 'number' && Number.isFinite(p))) return p;
  throw new TypeError(`${option} must be 'error', 'mean' or a finite number, got ${String(p)}`);
}

/** The {@link LineParser} of the CSV loaders: the column layout is resolved at the first record. */
export class CsvParser implements LineParser {
  private layout: CsvLayout | null = null;
  private headerLine: boolean | null = null;
  /** The cell separator. */
  readonly delimiter: string;
  /** Buckets per categorical or bag field. */
  readonly buckets: number;
  private readonly toLabel: ((cell: string) => number | string) | null;

  /**
   * Checks the options; the columns are resolved by {@link prepare} (or {@link useHeader}).
   * @param o the CSV options.
   * @param keepMissing write NaN for a missing cell under the 'mean' policy and leave the filling
   *   to the caller (`nn.features` does, with the training mean); default false: the loaders
   *   fill in the mean of the file they read.
   * @throws TypeError for an empty delimiter, buckets not an integer from 2 to 2^32, numClasses
   *   not an integer >= 2, or a comparison `positive` whose operand is not a number.
   */
  constructor(
    private readonly o: CsvOptions = {},
    readonly keepMissing = false,
  ) {
    this.delimiter = o.delimiter ?? ',';
    if (typeof this.delimiter !== 'string' || !this.delimiter) throw new TypeError('delimiter must be a non-empty string');
    this.buckets = checkBuckets(o.buckets ?? 2 ** 20);
    if (o.numClasses !== undefined && (!Number.isInteger(o.numClasses) || o.numClasses < 2)) {
      throw new TypeError(`numClasses must be an integer >= 2, got ${o.numClasses}`);
    }
    this.toLabel = o.positive === undefined ? null : labelMapper(o.positive, o.negative);
  }

  /** The resolved columns. @throws Error before the first record was seen. */
  get columns(): CsvLayout {
    if (!this.layout) throw new Error('the CSV columns are known after the first record');
    return this.layout;
  }

  /** Dense, categorical and bag counts and names (known after {@link prepare}). */
  get shape(): BuilderShape {
    if (!this.layout) return { numDense: 0, numCat: 0, numClasses: this.o.numClasses }; // an empty file
    const l = this.layout;
    return { numDense: l.dense.length, numCat: l.cat.length, numBags: l.bags.length, numClasses: this.o.numClasses, columns: columnNames(l) };
  }

  /**
   * Resolves the columns from the first record: its cells are the header when `header` is true,
   * or 'auto' and the options name a column.
   * @param firstLine the first non-blank record.
   * @throws RangeError / TypeError as {@link resolveCsvLayout}, or when columns are named and
   *   `header` is false.
   */
  prepare(firstLine: string): void {
    const cells = splitCsvLine(firstLine, this.delimiter) ?? [];
    const h = this.o.header ?? 'auto';
    const named = namesColumns(this.o);
    if (named && h === false) throw new RangeError('columns are named, but header is false: the first line must be the header');
    if (h === true || (h === 'auto' && named)) return this.useHeader(cells.map((c) => c.trim()));
    this.layout = resolveCsvLayout(this.o, null, cells.length);
    this.headerLine = h === 'auto' ? this.looksLikeHeader(cells) : h;
    if (this.headerLine) this.layout = resolveCsvLayout(this.o, cells.map((c) => c.trim()), cells.length);
  }

  /**
   * Resolves the columns against a known header (e.g. saved with a feature spec).
   * @param names the header's names.
   * @throws RangeError / TypeError as {@link resolveCsvLayout}.
   */
  useHeader(names: string[]): void {
    this.layout = resolveCsvLayout(this.o, names, names.length);
    this.headerLine = true;
  }

  /** With header 'auto' and columns given by index: a header when a numeric or label cell is not a number. */
  private looksLikeHeader(cells: string[]): boolean {
    const l = this.columns;
    const numericLabel = this.toLabel === null && l.label !== null;
    return cells.some((c, i) => (l.dense.includes(i) || (numericLabel && i === l.label)) && Number.isNaN(parseNumber(c)));
  }

  /**
   * Whether the first record is the header (after {@link prepare}).
   * @returns true to skip it.
   */
  isHeader(): boolean {
    return this.headerLine ?? false;
  }

  togglesQuote(line: string): boolean {
    let odd = false;
    for (let i = line.indexOf('"'); i >= 0; i = line.indexOf('"', i + 1)) odd = !odd;
    return odd;
  }

  parse(line: string, b: DatasetBuilder): string | null {
    const cells = splitCsvLine(line, this.delimiter);
    if (!cells) return 'unclosed quote';
    return this.fill(cells, b, true);
  }

  /**
   * Fills the builder's scratch row from a record's cells.
   * @param cells one cell per column, in file order.
   * @param b the builder.
   * @param withLabel read the label (false at prediction: the label cell may be anything).
   * @returns null when the row is complete, else why it is malformed.
   */
  fill(cells: readonly string[], b: DatasetBuilder, withLabel: boolean): string | null {
    const l = this.columns;
    if (cells.length !== l.width) return `expected ${l.width} columns, got ${cells.length}`;
    for (let k = 0; k < l.dense.length; k++) {
      const v = this.numeric(cells[l.dense[k]], l.missing[k]);
      if (typeof v === 'string') return `column ${describeColumn(l.names, l.dense[k])}: ${v}`;
      b.rowDense[k] = v;
    }
    for (let f = 0; f < l.cat.length; f++) {
      const v = cells[l.cat[f]].trim();
      b.rowCat[f] = v === '' ? 0 : bucketOf(hashString(v, f), this.buckets);
    }
    for (let f = 0; f < l.bags.length; f++) {
      const salt = l.cat.length + f;
      for (const v of cells[l.bags[f].index].split(l.bags[f].separator)) {
        const t = v.trim();
        if (t !== '') b.rowBags[f].push(bucketOf(hashString(t, salt), this.buckets));
      }
    }
    if (!withLabel || l.label === null) return null;
    const y = this.label(cells[l.label]);
    if (typeof y === 'string') {
      b.rowBags.forEach((bag) => (bag.length = 0)); // the row is refused: nothing of it may stay
      return `column ${describeColumn(l.names, l.label)}: ${y}`;
    }
    b.rowLabel[0] = y;
    return null;
  }

  private numeric(cell: string, policy: MissingPolicy): number | string {
    const v = parseNumber(cell);
    if (!Number.isNaN(v)) return v;
    if (cell.trim() !== '') return `'${cell}' is not a finite number`;
    if (policy === 'error') return `empty cell (give the column a missing policy: 'mean' or a number)`;
    return policy === 'mean' ? NaN : policy;
  }

  private label(cell: string): number | string {
    if (cell.trim() === '') return 'empty label';
    if (this.toLabel) return this.toLabel(cell);
    const v = parseNumber(cell);
    if (Number.isNaN(v)) return `label '${cell}' is not a finite number (text labels need the 'positive' option)`;
    const k = this.o.numClasses;
    if (k !== undefined && !(Number.isInteger(v) && v >= 0 && v < k)) return `label ${v} is not a class index in [0, ${k})`;
    return v;
  }

  /**
   * Fills the empty cells of 'mean' columns with the mean of the other cells of the column.
   * @param d a dataset this parser loaded (its dense values are changed in place).
   */
  fillMeans(d: Dataset): void {
    if (this.keepMissing || !this.layout) return;
    const l = this.layout;
    for (let k = 0; k < l.dense.length; k++) {
      if (l.missing[k] !== 'mean') continue;
      const mean = columnMean(d.dense, k, d.numDense);
      for (let i = k; i < d.dense.length; i += d.numDense) if (Number.isNaN(d.dense[i])) d.dense[i] = mean;
    }
  }
}

/**
 * Mean of column k's present (non-NaN) values, summed in float64 in row order; 0 for none.
 * @param dense the values [n x width].
 * @param k the column.
 * @param width values per row.
 * @returns the mean.
 */
export function columnMean(dense: Float32Array, k: number, width: number): number {
  let sum = 0;
  let count = 0;
  for (let i = k; i < dense.length; i += width) {
    if (!Number.isNaN(dense[i])) (sum += dense[i]), count++;
  }
  return count ? sum / count : 0;
}

function columnNames(l: CsvLayout): DatasetColumns {
  const name = (i: number): string => (l.names ? l.names[i] : String(i));
  return { dense: l.dense.map(name), cat: l.cat.map(name), bags: l.bags.map((b) => name(b.index)) };
}

/** A tab for *.tsv files unless a delimiter is given. */
function withDelimiter<T extends CsvOptions>(file: string, opts: T): T {
  return opts.delimiter === undefined && /\.tsv(\.gz)?$/i.test(file) ? { ...opts, delimiter: '\t' } : opts;
}

/**
 * Loads a CSV or TSV file (optionally gzipped), streamed record by record.
 * @param file path of the file (a tab is the default delimiter for *.tsv and *.tsv.gz).
 * @param opts columns, header, hashing and malformed-line policy.
 * @returns a promise of the dataset and the report.
 * @throws TypeError for invalid options (synchronously); RangeError for bad columns and the
 *   errors of {@link loadLines}, as a rejection.
 */
export function loadCsv(file: string, opts: CsvOptions = {}): Promise<Loaded> {
  const parser = new CsvParser(withDelimiter(file, opts));
  return loadLines(file, parser, opts).then((r) => (parser.fillMeans(r.dataset), r));
}

/**
 * A CSV or TSV file as chunks of at most `chunkRows` rows (bounded memory).
 * @param file path of the file.
 * @param opts as {@link loadCsv}, and `chunkRows` (default 65536); a 'mean' missing policy is
 *   refused here (it needs the whole column: learn it with `nn.features`).
 * @returns an async generator of chunks.
 * @throws TypeError for invalid options (synchronously); the errors of {@link loadLineChunks}
 *   when iterating.
 */
export function loadCsvChunks(file: string, opts: CsvOptions & { chunkRows?: number } = {}): AsyncGenerator<Loaded> {
  const m = opts.missing;
  if (m === 'mean' || (typeof m === 'object' && m !== null && Object.values(m).includes('mean'))) {
    throw new TypeError("missing: 'mean' needs the whole column: use loadCsv, or nn.features (it learns the mean in a streaming pass)");
  }
  return loadLineChunks(file, new CsvParser(withDelimiter(file, opts)), opts);
}

/**
 * Parses CSV text already in memory. Synchronous.
 * @param text the whole text.
 * @param opts as {@link loadCsv}, and the `file` name for messages.
 * @returns the dataset and the report.
 * @throws TypeError for invalid options, RangeError for bad columns, MalformedLineError
 *   under the 'error' policy.
 */
export function parseCsv(text: string, opts: CsvOptions & { file?: string } = {}): Loaded {
  const parser = new CsvParser(opts);
  const r = parseLines(text, parser, opts);
  parser.fillMeans(r.dataset);
  return r;
}
