/**
 * The replica cache: one file per finished replica, named by a hash of everything that determines
 * it, so an interrupted sweep resumes where it stopped and a changed config retrains only what
 * changed. Writes go to a temporary file and are renamed into place, so a killed run never leaves
 * a half-written entry that a rerun would trust.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeAtomic as writeFileAtomic } from '../nn/frame';

/** JSON with object keys sorted at every level: equal values give equal text, whatever the key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** A short content hash (first 16 hex digits of SHA-256 of the canonical JSON). */
export function hashKey(v: unknown): string {
  return createHash('sha256').update(canonicalJson(v)).digest('hex').slice(0, 16);
}

/** Test loss and predictions during training, at `examples` examples seen. */
export interface Curve {
  examples: number[];
  loss: number[];
  predictions: Float32Array[];
}

/** What a finished replica leaves: its metrics, its test predictions and how long it took. */
export interface ReplicaResult {
  key: string;
  label: string;
  source: string;
  replica: number;
  /** Test log loss. */
  loss: number;
  /** AUC (binary) or accuracy (multiclass) on the test set. */
  quality: number;
  /** Log loss on the validation split (learning-rate tuning only). */
  validLoss?: number;
  /** Probabilities on the test set: M (binary) or M x C (multiclass), row-major. */
  predictions: Float32Array;
  /** Test loss and predictions during training (eval-every). */
  curve?: Curve;
  /** Wall-clock seconds of training and evaluation (the compute a replica costs). */
  seconds: number;
}

/** A result as JSON-safe text: the float32 arrays as base64 of their bytes (exact and compact). */
export interface StoredResult extends Omit<ReplicaResult, 'predictions' | 'curve'> {
  predictions: string; // base64 of the float32 bytes: exact, and a third the size of decimal text
  curve?: { examples: number[]; loss: number[]; predictions: string[] };
}

const toBase64 = (p: Float32Array): string => Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('base64');

function fromBase64(s: string): Float32Array {
  const bytes = Buffer.from(s, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** The first line of an entry: the format and the SHA-256 of the JSON that follows it. */
const ENTRY_TAG = 'smelu-replica-1 sha256=';

/** Why a cache entry was not used. */
export interface Discarded {
  /** The entry's file. */
  file: string;
  /** What was wrong with it. */
  reason: string;
}

/**
 * One file per replica. Every entry carries a checksum of its contents; an entry that is empty,
 * truncated, tampered with or holds non-finite predictions is named (a process warning and
 * {@link ReplicaCache.discarded}), deleted and reported as a miss, so the replica is retrained.
 */
export class ReplicaCache {
  /** Entries found bad and deleted by this cache object. */
  readonly discarded: Discarded[] = [];

  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  file(key: string, ext = 'json'): string {
    return path.join(this.dir, `${key}.${ext}`);
  }

  /**
   * The stored replica, or null for none (or a bad entry, which is discarded).
   * @param key the replica's key.
   * @returns the result, with finite predictions.
   */
  get(key: string): ReplicaResult | null {
    const file = this.file(key);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return null;
    }
    const r = decodeEntry(text, key);
    if (typeof r !== 'string') return r;
    this.discard(file, r);
    return null;
  }

  put(r: ReplicaResult): void {
    const json = JSON.stringify(encodeResult(r));
    writeAtomic(this.file(r.key), `${ENTRY_TAG}${sha256(json)}\n${json}`);
  }

  private discard(file: string, reason: string): void {
    this.discarded.push({ file, reason });
    process.emitWarning(`discarding the cache entry ${file}: ${reason}; the replica is trained again`, 'SmeluCacheWarning');
    fs.rmSync(file, { force: true });
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The entry's result, or why it cannot be used. */
function decodeEntry(text: string, key: string): ReplicaResult | string {
  if (text === '') return 'the file is empty';
  const nl = text.indexOf('\n');
  if (!text.startsWith(ENTRY_TAG) || nl < 0) return 'no checksum line (not an entry of this version, or truncated)';
  const json = text.slice(nl + 1);
  if (text.slice(ENTRY_TAG.length, nl) !== sha256(json)) return 'checksum mismatch (truncated or changed)';
  let s: unknown;
  try {
    s = JSON.parse(json);
  } catch {
    return 'not valid JSON';
  }
  return decodeResult(s, key);
}

/**
 * The stored form of a result: predictions as base64 (a cache entry's JSON, a queue job's return value).
 * @param r the result to store.
 */
export function encodeResult(r: ReplicaResult): StoredResult {
  const curve = r.curve && { ...r.curve, predictions: r.curve.predictions.map(toBase64) };
  return { ...r, predictions: toBase64(r.predictions), curve };
}

/**
 * A stored result back in memory, with the checks a cache entry gets (right replica, finite numbers).
 * @param stored the stored form (parsed JSON: a cache entry or a queue job's return value).
 * @param key the replica the result must be for.
 * @returns the result, or why it cannot be used.
 */
export function decodeResult(stored: unknown, key: string): ReplicaResult | string {
  const s = stored as StoredResult | null;
  if (!s || typeof s !== 'object' || s.key !== key || typeof s.predictions !== 'string') return 'the entry is for another replica';
  const predictions = fromBase64(s.predictions);
  const curve = s.curve && { ...s.curve, predictions: s.curve.predictions.map(fromBase64) };
  const finite = (p: Float32Array): boolean => p.every(Number.isFinite);
  if (!finite(predictions) || (curve && !curve.predictions.every(finite))) return 'non-finite predictions';
  if (!Number.isFinite(s.loss) || !Number.isFinite(s.quality)) return 'non-finite metrics';
  return { ...s, predictions, curve };
}

/**
 * Writes a file atomically (temp file, fsync, rename, folder fsync; see the frame writer).
 * @param file the destination.
 * @param data the contents.
 */
export function writeAtomic(file: string, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  writeFileAtomic(file, (fd) => {
    for (let done = 0; done < bytes.byteLength; ) done += fs.writeSync(fd, bytes, done);
  });
}
