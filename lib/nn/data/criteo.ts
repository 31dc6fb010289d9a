/**
 * The Criteo display-advertising TSV layout: label, 13 integer columns (I1..I13), 26 categorical
 * columns (C1..C26) of 32-bit hex hashes; empty cells are missing. Integers become dense features
 * (signed log1p by default: counts are heavy-tailed), hex values are hashed into a fixed number of
 * buckets per field, bucket 0 meaning missing.
 */
import type { BuilderShape, DatasetBuilder } from './builder';
import { bucketOf, checkBuckets, hashUint32 } from './hash';
import { ownOptions } from '../../check';
import { fitsFloat32 } from './csv';
import { loadLineChunks, loadLines, parseLines, quoteCell, type LineParser, type Loaded, type LoadOptions } from './lines';

/** Integer columns I1..I13 (the dense features). */
export const CRITEO_INT_COLUMNS = 13;
/** Categorical columns C1..C26. */
export const CRITEO_CAT_COLUMNS = 26;

/** Options of the Criteo loaders. */
export interface CriteoOptions extends LoadOptions {
  /** Buckets per categorical field: one number for all, or 26 (default 2^20). */
  buckets?: number | readonly number[];
  /** 'log' (default): sign(x) log(1 + |x|); 'none': the raw count. Missing is 0 either way. */
  intTransform?: 'log' | 'none';
}

const INT = /^-?\d+$/;
const HEX = /^[0-9a-fA-F]{1,8}$/;

/** The {@link LineParser} of the Criteo loaders: label 0 / 1, 13 dense and 26 categorical columns. */
export class CriteoParser implements LineParser {
  readonly shape: BuilderShape = { numDense: CRITEO_INT_COLUMNS, numCat: CRITEO_CAT_COLUMNS };
  private readonly buckets: number[];
  private readonly log: boolean;

  /**
   * Checks the options.
   * @param options buckets and integer transform.
   * @throws RangeError when buckets is a list of other than 26 entries.
   * @throws TypeError for a bucket count that is not an integer from 2 to 2^32, or an unknown
   *   intTransform.
   */
  constructor(options: CriteoOptions = {}) {
    const o = ownOptions('options', options);
    const b = o.buckets ?? 2 ** 20;
    this.buckets = typeof b === 'number' ? new Array<number>(CRITEO_CAT_COLUMNS).fill(b) : [...b];
    if (this.buckets.length !== CRITEO_CAT_COLUMNS) throw new RangeError(`buckets must be one number or ${CRITEO_CAT_COLUMNS}`);
    this.buckets.forEach((x, i) => checkBuckets(x, `buckets[${i}]`));
    const t = o.intTransform ?? 'log';
    if (t !== 'log' && t !== 'none') throw new TypeError(`intTransform must be 'log' or 'none', got ${String(t)}`);
    this.log = t === 'log';
  }

  parse(line: string, b: DatasetBuilder): string | null {
    const cells = line.split('\t');
    const want = 1 + CRITEO_INT_COLUMNS + CRITEO_CAT_COLUMNS;
    if (cells.length !== want) return `expected ${want} tab-separated columns, got ${cells.length}`;
    if (cells[0] !== '0' && cells[0] !== '1') return `label ${quoteCell(cells[0])} is not 0 or 1`;
    b.rowLabel[0] = cells[0] === '1' ? 1 : 0;
    for (let j = 0; j < CRITEO_INT_COLUMNS; j++) {
      const s = cells[1 + j];
      if (s === '') {
        b.rowDense[j] = 0;
        continue;
      }
      if (!INT.test(s)) return `I${j + 1} ${quoteCell(s)} is not an integer`;
      const v = Number(s);
      if (!fitsFloat32(v)) return `I${j + 1} ${quoteCell(s)} is beyond the float32 range`;
      b.rowDense[j] = this.log ? Math.sign(v) * Math.log1p(Math.abs(v)) : v;
    }
    for (let f = 0; f < CRITEO_CAT_COLUMNS; f++) {
      const s = cells[1 + CRITEO_INT_COLUMNS + f];
      if (s === '') {
        b.rowCat[f] = 0;
        continue;
      }
      if (!HEX.test(s)) return `C${f + 1} ${quoteCell(s)} is not a hex hash`;
      b.rowCat[f] = bucketOf(hashUint32(parseInt(s, 16), f), this.buckets[f]);
    }
    return null;
  }
}

/**
 * Loads a Criteo TSV file (optionally gzipped), streamed line by line.
 * @param file path of the file.
 * @param opts buckets, integer transform, malformed-line policy.
 * @returns a promise of the dataset and the report.
 * @throws TypeError / RangeError for invalid options (synchronously); the errors of
 *   {@link loadLines} as a rejection.
 */
export function loadCriteo(file: string, opts: CriteoOptions = {}): Promise<Loaded> {
  return loadLines(file, new CriteoParser(opts), opts);
}

/**
 * A Criteo file as chunks of at most `chunkRows` rows, for files larger than memory.
 * @param file path of the file.
 * @param opts as {@link loadCriteo}, and `chunkRows` (default 65536).
 * @returns an async generator of chunks.
 * @throws TypeError / RangeError for invalid options (synchronously); the errors of
 *   {@link loadLineChunks} when iterating.
 */
export function loadCriteoChunks(file: string, opts: CriteoOptions & { chunkRows?: number } = {}): AsyncGenerator<Loaded> {
  return loadLineChunks(file, new CriteoParser(opts), opts);
}

/**
 * Parses Criteo TSV text already in memory. Synchronous.
 * @param text the whole text.
 * @param opts as {@link loadCriteo}, and the `file` name for messages.
 * @returns the dataset and the report.
 * @throws TypeError / RangeError for invalid options; MalformedLineError under the 'error' policy.
 */
export function parseCriteo(text: string, opts: CriteoOptions & { file?: string } = {}): Loaded {
  return parseLines(text, new CriteoParser(opts), opts);
}
