/**
 * LIBSVM / SVMlight: `label index:value index:value ... [# comment]`, indices ascending, 1-based
 * by default. Rows become dense vectors of `numFeatures` (found by a first streaming pass when not
 * given). `qid:` tokens are ignored.
 */
import type { BuilderShape, DatasetBuilder } from './builder';
import { ownOptions } from '../../check';
import { parseNumber } from './csv';
import { loadLineChunks, loadLines, parseLines, quoteCell, readLines, type LineParser, type Loaded, type LoadOptions } from './lines';

/** Options of the LIBSVM loaders. */
export interface LibsvmOptions extends LoadOptions {
  /** Feature count; found by a first pass over the file when omitted. */
  numFeatures?: number;
  /** Indices start at 0 instead of 1. */
  zeroBased?: boolean;
  /**
   * 'raw' (default): the label as written. 'binary': -1 / 0 map to 0 and +1 / 1 to 1, anything
   * else is malformed. 'class': an integer class index below numClasses.
   */
  labels?: 'raw' | 'binary' | 'class';
  /** Classes for labels 'class' (an integer >= 2). */
  numClasses?: number;
}

const PAIR = /^(\d+):(\S+)$/;

/** The {@link LineParser} of the LIBSVM loaders (numFeatures must be known). */
export class LibsvmParser implements LineParser {
  readonly shape: BuilderShape;
  private readonly base: number;

  private readonly o: LibsvmOptions & { numFeatures: number };

  /**
   * Checks the options; rows will have numFeatures dense features.
   * @param options the options, with numFeatures (own properties only).
   * @throws TypeError when numFeatures is not an integer >= 0, or labels 'class' comes without a
   *   numClasses >= 2.
   */
  constructor(options: LibsvmOptions & { numFeatures: number }) {
    const o = (this.o = ownOptions('options', options));
    if (!Number.isInteger(o.numFeatures) || o.numFeatures < 0) throw new TypeError(`numFeatures must be an integer >= 0, got ${o.numFeatures}`);
    if (o.labels === 'class' && !(Number.isInteger(o.numClasses) && o.numClasses! >= 2)) {
      throw new TypeError("labels: 'class' needs numClasses (an integer >= 2)");
    }
    this.base = o.zeroBased ? 0 : 1;
    this.shape = { numDense: o.numFeatures, numCat: 0, numClasses: o.labels === 'class' ? o.numClasses : undefined };
  }

  parse(line: string, b: DatasetBuilder): string | null {
    const tokens = stripComment(line).trim().split(/\s+/);
    const label = this.label(tokens[0]);
    if (typeof label === 'string') return label;
    b.rowLabel[0] = label;
    b.rowDense.fill(0);
    let last = -1;
    for (let t = 1; t < tokens.length; t++) {
      if (tokens[t].startsWith('qid:')) continue;
      const m = PAIR.exec(tokens[t]);
      if (!m) return `token ${t + 1} ${quoteCell(tokens[t])} is not index:value`;
      const j = Number(m[1]) - this.base;
      const v = parseNumber(m[2]);
      if (j < 0 || j >= this.o.numFeatures) return `index ${m[1]} is outside 1..${this.o.numFeatures} (${this.base}-based)`;
      if (j <= last) return `index ${m[1]} is not above the previous one`;
      if (Number.isNaN(v)) return `value ${quoteCell(m[2])} of index ${m[1]} is not a finite number`;
      b.rowDense[j] = v;
      last = j;
    }
    return null;
  }

  private label(tok: string | undefined): number | string {
    const v = parseNumber(tok ?? '');
    if (Number.isNaN(v)) return `label ${quoteCell(tok ?? '')} is not a number`;
    switch (this.o.labels ?? 'raw') {
      case 'binary':
        if (v === 1) return 1;
        if (v === -1 || v === 0) return 0;
        return `label ${tok} is not binary (-1, 0, +1)`;
      case 'class':
        return Number.isInteger(v) && v >= 0 && v < this.o.numClasses! ? v : `label ${tok} is not a class index below ${this.o.numClasses}`;
      default:
        return v;
    }
  }
}

function stripComment(line: string): string {
  const i = line.indexOf('#');
  return i < 0 ? line : line.slice(0, i);
}

/** The largest feature index in a file (a cheap first pass; bad tokens are left to the real pass). */
async function maxIndex(file: string, zeroBased: boolean): Promise<number> {
  let max = 0;
  for await (const line of readLines(file)) {
    const tokens = stripComment(line).trim().split(/\s+/);
    for (let t = 1; t < tokens.length; t++) {
      const m = PAIR.exec(tokens[t]);
      if (m) max = Math.max(max, Number(m[1]) + (zeroBased ? 1 : 0));
    }
  }
  return max;
}

/**
 * Loads a LIBSVM file (optionally gzipped), streamed; two passes when numFeatures is not given.
 * @param file path of the file.
 * @param options feature count, indexing, label mapping, malformed-line policy.
 * @returns a promise of the dataset (numFeatures dense features) and the report.
 * @throws TypeError for invalid options, MalformedLineError, or the file system's errors, all as a
 *   rejection.
 */
export async function loadLibsvm(file: string, options: LibsvmOptions = {}): Promise<Loaded> {
  const opts = ownOptions('options', options);
  const numFeatures = opts.numFeatures ?? (await maxIndex(file, !!opts.zeroBased));
  return loadLines(file, new LibsvmParser({ ...opts, numFeatures }), opts);
}

/**
 * A LIBSVM file in chunks (numFeatures is required: a first pass would read the whole file).
 * @param file path of the file.
 * @param opts as {@link loadLibsvm} with numFeatures, and `chunkRows` (default 65536).
 * @returns an async generator of chunks.
 * @throws TypeError for invalid options (synchronously); the errors of {@link loadLineChunks}
 *   when iterating.
 */
export function loadLibsvmChunks(file: string, opts: LibsvmOptions & { numFeatures: number; chunkRows?: number }): AsyncGenerator<Loaded> {
  return loadLineChunks(file, new LibsvmParser(opts), opts);
}

/**
 * Parses LIBSVM text already in memory. Synchronous.
 * @param text the whole text.
 * @param options as {@link loadLibsvm} (numFeatures defaults to the largest index in the text), and
 *   the `file` name for messages.
 * @returns the dataset and the report.
 * @throws TypeError for invalid options; MalformedLineError under the 'error' policy.
 */
export function parseLibsvm(text: string, options: LibsvmOptions & { file?: string } = {}): Loaded {
  const opts = ownOptions('options', options);
  let numFeatures = opts.numFeatures;
  if (numFeatures === undefined) {
    numFeatures = 0;
    for (const m of text.matchAll(/(?:^|\s)(\d+):\S/g)) numFeatures = Math.max(numFeatures, Number(m[1]) + (opts.zeroBased ? 1 : 0));
  }
  return parseLines(text, new LibsvmParser({ ...opts, numFeatures }), opts);
}
