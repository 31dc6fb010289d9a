/**
 * The replica cache: one file per finished replica, named by a hash of everything that determines
 * it, so an interrupted sweep resumes where it stopped and a changed config retrains only what
 * changed. Writes go to a temporary file and are renamed into place, so a killed run never leaves
 * a half-written entry that a rerun would trust.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

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

export class ReplicaCache {
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  file(key: string, ext = 'json'): string {
    return path.join(this.dir, `${key}.${ext}`);
  }

  get(key: string): ReplicaResult | null {
    let text: string;
    try {
      text = fs.readFileSync(this.file(key), 'utf8');
    } catch {
      return null;
    }
    return decodeResult(JSON.parse(text) as StoredResult);
  }

  put(r: ReplicaResult): void {
    writeAtomic(this.file(r.key), JSON.stringify(encodeResult(r)));
  }
}

/** The stored form of a result (the cache's files, a queue job's return value). */
export function encodeResult(r: ReplicaResult): StoredResult {
  const curve = r.curve && { ...r.curve, predictions: r.curve.predictions.map(toBase64) };
  return { ...r, predictions: toBase64(r.predictions), curve };
}

export function decodeResult(s: StoredResult): ReplicaResult {
  const curve = s.curve && { ...s.curve, predictions: s.curve.predictions.map(fromBase64) };
  return { ...s, predictions: fromBase64(s.predictions), curve };
}

/** Writes a file through a temporary name and a rename (atomic on one file system). */
export function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}
