/**
 * Feature specs: which column is what (by header name), learned once on training data (the mean
 * and standard deviation of every numeric column, in one streaming pass) and applied the same way
 * to training data and to raw rows at prediction. A model saves its spec in its file, so serving
 * code passes rows keyed by column name (or CSV lines) and never calls the hash functions itself.
 *
 * Applied to a numeric value x of a column with mean mu and standard deviation sd (population,
 * 1 when the column is constant): a missing x becomes the column's policy value (mu for 'mean',
 * else the constant), then x' = (x - mu) / sd under 'standardize' (x' = x under 'none').
 * Categorical and bag values are hashed into `buckets` (bucket 0: missing).
 */
import { DatasetBuilder } from './data/builder';
import {
  CsvParser, describeColumn, splitCsvLine, type CsvColumns, type CsvLayout, type MissingPolicy,
} from './data/csv';
import type { Dataset } from './data/dataset';
import type { DataShape } from './batch';
import { loadLineChunks, loadLines, type Loaded, type LoadOptions } from './data/lines';

/** Scaling of numeric columns: 'standardize' (default) or 'none'. */
export type Scaling = 'standardize' | 'none';

/**
 * Options of {@link features}: the columns (as the CSV loaders take them) and how to encode them.
 * The files must start with a header line: raw rows are keyed by its names.
 */
export interface FeatureOptions extends CsvColumns {
  /** Cell separator of the files and CSV rows (default ','; a tab for *.tsv files read by fit). */
  delimiter?: string;
  /** Buckets per categorical or bag field (default 2^20). */
  buckets?: number;
  /** Scaling of numeric columns (default 'standardize'). */
  scale?: Scaling;
  /** Labels are class indices 0 .. numClasses-1 (checked when loading). */
  numClasses?: number;
}

/** Learned statistics of one numeric column. */
export interface ColumnStats {
  /** Values seen (missing cells not counted). */
  count: number;
  /** Their mean. */
  mean: number;
  /** Their population standard deviation (1 when constant or unseen). */
  std: number;
}

/** A feature spec as JSON (what a model file stores). */
export interface FeatureSpecJson {
  /** Format of this object. */
  version: 1;
  /** The training file's header, in column order. */
  columns: string[];
  /** The options, with every column given by name. */
  options: {
    label: string | null; numeric: string[]; categorical: string[]; bags: Record<string, string>; ignore: string[];
    missing: Record<string, MissingPolicy>; delimiter: string; buckets: number; scale: Scaling;
    positive?: string | number; negative?: string;
  };
  /** Per numeric column, in feature order. */
  stats: ColumnStats[];
}

/** A raw row at prediction: values keyed by column name (bags as arrays or separated text), or a CSV line. */
export type RawRow = Readonly<Record<string, unknown>> | string;

/** Welford's running mean and variance in float64, over values in file order (deterministic). */
class Moments {
  count = 0;
  mean = 0;
  private m2 = 0;

  add(x: number): void {
    this.count++;
    const d = x - this.mean;
    this.mean += d / this.count;
    this.m2 += d * (x - this.mean);
  }

  stats(): ColumnStats {
    const sd = this.count ? Math.sqrt(this.m2 / this.count) : 0;
    return { count: this.count, mean: this.mean, std: sd > 0 ? sd : 1 };
  }
}

/** Columns and encoding, learned with {@link Features.fit}; see the module comment. */
export class Features {
  private parser: CsvParser | null = null;
  private learned: ColumnStats[] | null = null;
  /** The scaling of numeric columns. */
  readonly scale: Scaling;

  /**
   * Checks the options; the columns are resolved against the header at {@link fit}.
   * @param options the columns and encoding.
   * @throws TypeError as the CSV loaders, or for an unknown scale.
   */
  constructor(readonly options: FeatureOptions) {
    this.scale = options.scale ?? 'standardize';
    if (this.scale !== 'standardize' && this.scale !== 'none') throw new TypeError(`scale must be 'standardize' or 'none', got ${String(options.scale)}`);
    new CsvParser(options); // checks the options now rather than at the first file
  }

  /** Whether {@link fit} has run (or the spec was loaded). */
  get fitted(): boolean {
    return this.learned !== null;
  }

  /** The resolved columns. @throws Error before fit. */
  get layout(): CsvLayout {
    return this.csv.columns;
  }

  /** The learned statistics of the numeric columns, in feature order. @throws Error before fit. */
  get stats(): readonly ColumnStats[] {
    if (!this.learned) throw new Error('the feature spec is not fitted: call fit(file) first');
    return this.learned;
  }

  /** Names of the numeric, categorical and bag columns, in feature order. */
  get names(): { numeric: string[]; categorical: string[]; bags: string[] } {
    const l = this.layout;
    const n = (i: number): string => l.names![i];
    return { numeric: l.dense.map(n), categorical: l.cat.map(n), bags: l.bags.map((b) => n(b.index)) };
  }

  /**
   * The columns the encoded data has, with their names (what `model.checkShape` takes).
   * @returns the shape. @throws Error before fit.
   */
  shape(): DataShape {
    const n = this.names;
    return { numDense: n.numeric.length, numCat: n.categorical.length, numBags: n.bags.length, columns: { dense: n.numeric, cat: n.categorical, bags: n.bags } };
  }

  /** Buckets per categorical or bag field (an embedding table's rows). */
  get buckets(): number {
    return this.csv.buckets;
  }

  private get csv(): CsvParser {
    if (!this.parser) throw new Error('the feature spec is not fitted: call fit(file) first');
    return this.parser;
  }

  /**
   * Learns the columns (from the header) and the numeric statistics in one streaming pass over
   * the file; memory stays bounded by one chunk. Returns the spec itself.
   * @param file a CSV or TSV file with a header (optionally gzipped).
   * @param opts malformed-line policy and `chunkRows`.
   * @returns a promise of this spec.
   * @throws RangeError / TypeError / MalformedLineError as the CSV loaders, as a rejection.
   */
  async fit(file: string, opts: LoadOptions & { chunkRows?: number } = {}): Promise<this> {
    const parser = this.newParser(file);
    const moments: Moments[] = [];
    for await (const { dataset } of loadLineChunks(file, parser, opts)) addMoments(moments, dataset);
    this.learn(parser, moments);
    return this;
  }

  private learn(parser: CsvParser, moments: Moments[]): void {
    this.parser = parser;
    this.learned = parser.columns.dense.map((_, k) => (moments[k] ?? new Moments()).stats());
  }

  /**
   * Loads a file and applies the spec (fitting it on this file first when it is not fitted).
   * @param file a CSV or TSV file with the training header (optionally gzipped).
   * @param opts malformed-line policy and limits.
   * @returns a promise of the encoded dataset (column names attached) and the report.
   * @throws RangeError when the file's header differs from the fitted one, and the errors of the
   *   CSV loaders, as a rejection.
   */
  async load(file: string, opts: LoadOptions = {}): Promise<Loaded> {
    const parser = this.newParser(file);
    const r = await loadLines(file, parser, opts);
    if (!this.learned) {
      const moments: Moments[] = [];
      addMoments(moments, r.dataset);
      this.learn(parser, moments);
    } else this.checkHeader(parser.columns.names!, file);
    this.applyTo(r.dataset);
    return r;
  }

  /**
   * A file as encoded chunks of at most `chunkRows` rows (bounded memory, for files larger than
   * memory). The spec must be fitted (see {@link fit}: one streaming pass).
   * @param file a CSV or TSV file with the training header (optionally gzipped).
   * @param opts malformed-line policy, limits and `chunkRows` (default 65536).
   * @returns an async generator of encoded chunks.
   * @throws Error when the spec is not fitted (synchronously); RangeError when the file's header
   *   differs from the fitted one, and the errors of the CSV loaders, when iterating.
   */
  loadChunks(file: string, opts: LoadOptions & { chunkRows?: number } = {}): AsyncGenerator<Loaded> {
    if (!this.learned) throw new Error('the feature spec is not fitted: call fit(file) first');
    const parser = this.newParser(file);
    const chunks = loadLineChunks(file, parser, opts);
    const apply = async function* (self: Features): AsyncGenerator<Loaded> {
      let first = true;
      for await (const chunk of chunks) {
        if (first) self.checkHeader(parser.columns.names!, file);
        first = false;
        self.applyTo(chunk.dataset);
        yield chunk;
      }
    };
    return apply(this);
  }

  /**
   * Encodes raw rows: objects keyed by column name (missing keys and null are missing values;
   * bag values as arrays or separated text), or CSV lines of the training header's columns (the
   * label cell may be left out). Labels are not read.
   * @param rows the rows.
   * @returns a dataset of the encoded rows (labels 0).
   * @throws Error before fit; RangeError naming the row and column for a value that cannot be
   *   encoded (e.g. text in a numeric column, or an empty cell the column's policy refuses).
   */
  transform(rows: readonly RawRow[]): Dataset {
    const p = this.csv;
    const b = new DatasetBuilder(p.shape);
    rows.forEach((row, i) => {
      const why = p.fill(this.cellsOf(row, i), b, false);
      if (why) throw new RangeError(`row ${i}: ${why}`);
      b.commit();
    });
    const d = b.finish();
    this.applyTo(d);
    return d;
  }

  /**
   * The spec as JSON (stored in model files).
   * @returns a new plain object. @throws Error before fit.
   */
  toJSON(): FeatureSpecJson {
    const l = this.layout;
    const n = (i: number): string => l.names![i];
    const o = this.options;
    const positive = typeof o.positive === 'function' ? undefined : o.positive;
    return {
      version: 1,
      columns: [...l.names!],
      options: {
        label: l.label === null ? null : n(l.label), numeric: l.dense.map(n), categorical: l.cat.map(n),
        bags: Object.fromEntries(l.bags.map((x) => [n(x.index), x.separator])),
        ignore: l.names!.filter((_, i) => i !== l.label && !l.dense.includes(i) && !l.cat.includes(i) && !l.bags.some((x) => x.index === i)),
        missing: Object.fromEntries(l.dense.map((i, k) => [n(i), l.missing[k]])),
        delimiter: this.csv.delimiter, buckets: this.buckets, scale: this.scale,
        ...(positive === undefined ? {} : { positive }), ...(o.negative === undefined ? {} : { negative: o.negative }),
      },
      stats: this.stats.map((s) => ({ ...s })),
    };
  }

  /**
   * A fitted spec from its JSON.
   * @param json what {@link toJSON} gave.
   * @returns the spec.
   * @throws TypeError naming the field that is missing or of the wrong type.
   * @throws RangeError when the stats do not match the numeric columns.
   */
  static fromJSON(json: FeatureSpecJson): Features {
    if (json?.version !== 1) throw new TypeError(`features: version must be 1, got ${String(json?.version)}`);
    if (!Array.isArray(json.columns) || !json.columns.every((c) => typeof c === 'string')) throw new TypeError('features: field \'columns\' must be a list of names');
    if (!json.options || typeof json.options !== 'object') throw new TypeError('features: field \'options\' is missing');
    if (!Array.isArray(json.stats)) throw new TypeError('features: field \'stats\' is missing');
    const f = new Features(json.options);
    const p = new CsvParser(json.options, true);
    p.useHeader(json.columns);
    if (json.stats.length !== p.columns.dense.length) {
      throw new RangeError(`features: ${json.stats.length} column stats for ${p.columns.dense.length} numeric columns`);
    }
    json.stats.forEach((s, k) => {
      if (![s?.count, s?.mean, s?.std].every(Number.isFinite)) throw new TypeError(`features: field 'stats[${k}]' needs finite count, mean and std`);
    });
    f.parser = p;
    f.learned = json.stats.map((s) => ({ count: s.count, mean: s.mean, std: s.std }));
    return f;
  }

  /** The options, with a tab delimiter for *.tsv files when none is given. */
  private loaderOptions(file: string): FeatureOptions {
    const tsv = this.options.delimiter === undefined && /\.tsv(\.gz)?$/i.test(file);
    return tsv ? { ...this.options, delimiter: '\t' } : this.options;
  }

  private newParser(file: string): CsvParser {
    const o = this.parser ? { ...this.options, delimiter: this.parser.delimiter } : this.loaderOptions(file);
    return new CsvParser({ ...o, header: true }, true);
  }

  private checkHeader(names: string[], file: string): void {
    const want = this.layout.names!;
    if (names.length !== want.length || names.some((n, i) => n !== want[i])) {
      throw new RangeError(`${file}: the header (${names.join(', ')}) differs from the one the features were fitted on (${want.join(', ')})`);
    }
  }

  private cellsOf(row: RawRow, i: number): string[] {
    const l = this.layout;
    if (typeof row === 'string') {
      const cells = splitCsvLine(row, this.csv.delimiter);
      if (!cells) throw new RangeError(`row ${i}: unclosed quote`);
      if (l.label !== null && cells.length === l.width - 1) cells.splice(l.label, 0, '');
      return cells;
    }
    if (!row || typeof row !== 'object') throw new TypeError(`row ${i}: expected an object keyed by column name or a CSV line, got ${String(row)}`);
    const used = new Set([...l.dense, ...l.cat, ...l.bags.map((b) => b.index)]);
    return l.names!.map((name, c) => (used.has(c) ? cellText(row[name], c, l, i) : '')); // the label and ignored columns are not read
  }

  /** Fills missing values and scales the numeric columns in place. */
  private applyTo(d: Dataset): void {
    const l = this.layout;
    const w = d.numDense;
    this.stats.forEach((s, k) => {
      const policy = l.missing[k];
      const fill = policy === 'mean' ? s.mean : 0; // other policies were filled in by the parser
      const [mu, sd] = this.scale === 'standardize' ? [s.mean, s.std] : [0, 1];
      for (let i = k; i < d.dense.length; i += w) {
        const x = Number.isNaN(d.dense[i]) ? fill : d.dense[i];
        d.dense[i] = (x - mu) / sd;
      }
    });
  }
}

function addMoments(moments: Moments[], d: Dataset): void {
  const w = d.numDense;
  for (let k = 0; k < w; k++) {
    const m = (moments[k] ??= new Moments());
    for (let i = k; i < d.dense.length; i += w) if (!Number.isNaN(d.dense[i])) m.add(d.dense[i]);
  }
}

/** The text of an object row's value, as a CSV cell would hold it. */
function cellText(v: unknown, c: number, l: CsvLayout, row: number): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  const bag = l.bags.find((b) => b.index === c);
  if (bag && Array.isArray(v)) return v.map(String).join(bag.separator);
  throw new TypeError(`row ${row}: column ${describeColumn(l.names, c)} holds ${Array.isArray(v) ? 'a list' : typeof v}; expected text or a number`);
}

/**
 * A feature spec: which columns to read and how to encode them; fit it on the training file.
 * @param options the columns (names, as the CSV loaders take them), buckets and scaling.
 * @returns an unfitted spec.
 * @throws TypeError as {@link Features}.
 */
export function features(options: FeatureOptions): Features {
  return new Features(options);
}
