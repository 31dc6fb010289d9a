/**
 * Checkpoints: the whole training state (model config and weights, optimizer config, step and
 * state, shuffle RNG state, loop position) in one versioned, checksummed binary file, written
 * atomically: temp file, fsync, rename, fsync of the directory. A crash at any moment leaves
 * either the old file or the new one, never a mix.
 *
 * Layout (little-endian):
 *   0   8 bytes  magic "SMELUCKP"
 *   8   u32      format version (1)
 *   12  u32      header length H
 *   16  u64      total file length (catches truncation before anything is parsed)
 *   24  H bytes  header, JSON (tensor table: name, offset and length of each float32 tensor)
 *       padding to a multiple of 8, then the tensors, each padded to 8 bytes
 *   end 32 bytes SHA-256 of every byte before it
 * Reading checks size, magic, version, length and checksum first, then the header and every
 * tensor's bounds; only a fully valid file yields a state, so a load never half-applies.
 */
import { createHash, randomBytes } from 'crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'fs';
import { endianness } from 'os';
import { basename, dirname, join } from 'path';
import type { ModelConfig } from './model';
import type { OptimizerConfig } from './optim';

/** The first 8 bytes of every checkpoint file. */
export const CHECKPOINT_MAGIC = 'SMELUCKP';
/** The format version written, and the only one read. */
export const CHECKPOINT_VERSION = 1;
const PREFIX = 24;
const DIGEST = 32;

/** One finished epoch in a training history. */
export interface EpochRecord {
  /** The epoch, 0-based. */
  epoch: number;
  /** Mean training loss over the epoch's examples (NaN for an empty epoch). */
  loss: number;
  /** Validation metrics at the epoch's end (see `evaluate`), when validation data was given. */
  validation?: Record<string, number>;
}

/** Everything needed to continue a run bit for bit. */
export interface TrainState {
  /** The model's config. */
  model: ModelConfig;
  /** Parameter values, in the model's params() order. */
  params: Array<{
    /** The parameter's name (checked against the model's on load). */
    name: string;
    /** Its values. */
    value: Float32Array;
  }>;
  /** The optimizer. */
  optimizer: {
    /** Its config. */
    config: OptimizerConfig;
    /** Steps applied (the schedule's position). */
    t: number;
    /** Its state arrays, in `Optimizer.stateTensors` order. */
    state: Float32Array[];
  };
  /** State (4 x uint32) of the shuffle RNG at the start of the current epoch. */
  shuffleRng: number[];
  /** Where the loop stands. */
  position: {
    /** Optimizer steps done. */
    step: number;
    /** Current epoch (0-based). */
    epoch: number;
    /** The next batch in the current epoch. */
    batch: number;
    /** Sum of batch loss x batch rows so far in the current epoch. */
    epochLossSum: number;
    /** Examples so far in the current epoch. */
    epochExamples: number;
    /** The finished epochs. */
    history: EpochRecord[];
  };
  /** The run's settings; a resume checks that its own match. */
  run: {
    /** Rows per batch. */
    batchSize: number;
    /** The loss name. */
    loss: string;
    /** Whether each epoch is shuffled. */
    shuffle: boolean;
    /** The shuffle seed, as a decimal string (a uint64). */
    shuffleSeed: string;
    /** Gradient clipping norm, or null for none. */
    clipNorm: number | null;
    /** Rows of the training data. */
    rows: number;
    /** SHA-1 of the training data (Dataset.fingerprint): a resume on other data is refused. */
    data: string;
  };
}

/** A checkpoint that cannot be read (corrupt, truncated, other version, not a checkpoint). */
export class CheckpointError extends Error {
  /**
   * Names the file and what is wrong with it.
   * @param file the file (or '<buffer>'); the message starts with it.
   * @param reason what is wrong.
   */
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`checkpoint ${file}: ${reason}`);
    this.name = 'CheckpointError';
  }
}

interface TensorEntry {
  name: string;
  offset: number;
  length: number;
}

function pad8(n: number): number {
  return (n + 7) & ~7;
}

function tensorsOf(s: TrainState): Array<[string, Float32Array]> {
  return [
    ...s.params.map((p): [string, Float32Array] => [`param:${p.name}`, p.value]),
    ...s.optimizer.state.map((a, i): [string, Float32Array] => [`opt:${i}`, a]),
  ];
}

/**
 * Emits the file's bytes in order (header, tensors, digest) without building one big buffer:
 * an embedding table can be larger than what a second copy in memory allows.
 */
function emit(state: TrainState, sink: (chunk: Uint8Array) => void): void {
  const hash = createHash('sha256');
  const out = (b: Uint8Array): void => {
    hash.update(b);
    sink(b);
  };
  const tensors = tensorsOf(state);
  const table: TensorEntry[] = [];
  let off = 0;
  for (const [name, a] of tensors) {
    table.push({ name, offset: off, length: a.length });
    off += pad8(a.byteLength);
  }
  const { params: _p, optimizer, ...rest } = state;
  const header = Buffer.from(JSON.stringify({
    ...rest, optimizer: { config: optimizer.config, t: optimizer.t }, littleEndian: true, tensors: table,
  }), 'utf8');
  const dataStart = pad8(PREFIX + header.length);
  const total = dataStart + off + DIGEST;
  const prefix = Buffer.alloc(PREFIX);
  prefix.write(CHECKPOINT_MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(CHECKPOINT_VERSION, 8);
  prefix.writeUInt32LE(header.length, 12);
  prefix.writeBigUInt64LE(BigInt(total), 16);
  out(prefix);
  out(header);
  out(Buffer.alloc(dataStart - PREFIX - header.length));
  for (const [, a] of tensors) {
    out(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    out(Buffer.alloc(pad8(a.byteLength) - a.byteLength));
  }
  sink(hash.digest());
}

/**
 * The checkpoint file's bytes (see the module comment for the layout).
 * @param state the state to encode.
 * @returns one Buffer holding the whole file.
 */
export function encodeCheckpoint(state: TrainState): Buffer {
  const parts: Buffer[] = [];
  emit(state, (c) => parts.push(Buffer.from(c)));
  return Buffer.concat(parts);
}

/**
 * Writes a checkpoint atomically: a temp file next to `file`, fsync, rename over `file`, fsync of
 * the directory. Synchronous: blocks the calling thread for the whole write.
 * @param file destination path; its directory must exist.
 * @param state the state to write.
 * @throws Error on a big-endian host, and the file system's errors (the temp file is removed when
 *   writing it fails).
 */
export function saveCheckpoint(file: string, state: TrainState): void {
  if (endianness() !== 'LE') throw new Error('checkpoints are written on little-endian hosts only');
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    emit(state, (c) => {
      for (let done = 0; done < c.byteLength; ) done += writeSync(fd, c, done);
    });
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file);
  syncDir(dir);
}

/** Makes the rename durable; some platforms cannot fsync a directory, which is not an error there. */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM') throw e;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Reads and fully validates a checkpoint file. Synchronous.
 * @param file path of the file.
 * @returns the state; nothing is returned from a file that fails any check.
 * @throws CheckpointError when the file cannot be read or is not a valid checkpoint.
 */
export function loadCheckpoint(file: string): TrainState {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new CheckpointError(file, `cannot be read (${(e as Error).message})`);
  }
  return decodeCheckpoint(buf, file);
}

/**
 * Parses checkpoint bytes; every check runs before any state is returned.
 * @param buf the file's bytes (tensors are copied out of it).
 * @param file name used in error messages (default '<buffer>').
 * @returns the state.
 * @throws CheckpointError for a truncated, corrupt (checksum), foreign (magic) or other-version
 *   file, a header that is not valid JSON or misses a section, a tensor outside the data, or a byte
 *   order other than this host's.
 */
export function decodeCheckpoint(buf: Uint8Array, file = '<buffer>'): TrainState {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const fail = (why: string): never => {
    throw new CheckpointError(file, why);
  };
  if (b.length < 8 || b.toString('latin1', 0, 8) !== CHECKPOINT_MAGIC) {
    fail(b.length < 8 ? `truncated: ${b.length} bytes` : 'not a smelu checkpoint (bad magic bytes)');
  }
  if (b.length < PREFIX + DIGEST) fail(`truncated: ${b.length} bytes is less than the fixed header`);
  const version = b.readUInt32LE(8);
  if (version !== CHECKPOINT_VERSION) fail(`unsupported format version ${version} (this build reads version ${CHECKPOINT_VERSION})`);
  const total = Number(b.readBigUInt64LE(16));
  if (b.length < total) fail(`truncated: the file has ${b.length} of its ${total} bytes`);
  if (b.length > total) fail(`${b.length - total} unexpected bytes after the end (expected ${total} bytes)`);
  const digest = createHash('sha256').update(b.subarray(0, total - DIGEST)).digest();
  if (!digest.equals(b.subarray(total - DIGEST))) fail('checksum mismatch: the file is corrupt');
  const hlen = b.readUInt32LE(12);
  if (PREFIX + hlen > total - DIGEST) fail('header length exceeds the file');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(b.toString('utf8', PREFIX, PREFIX + hlen));
  } catch {
    return fail('the header is not valid JSON');
  }
  if (header.littleEndian !== true || endianness() !== 'LE') fail('byte order does not match this host');
  return assemble(header, b, pad8(PREFIX + hlen), total - DIGEST, fail);
}

function assemble(h: Record<string, unknown>, b: Buffer, start: number, end: number, fail: (w: string) => never): TrainState {
  const table = h.tensors as TensorEntry[] | undefined;
  if (!Array.isArray(table)) return fail('the header has no tensor table');
  const tensors = new Map<string, Float32Array>();
  for (const t of table) {
    const bytes = t.length * 4;
    if (!Number.isSafeInteger(t.offset) || !Number.isSafeInteger(t.length) || t.offset < 0 || t.length < 0 || start + t.offset + bytes > end) {
      fail(`tensor '${String(t.name)}' lies outside the data`);
    }
    const a = new Float32Array(t.length);
    new Uint8Array(a.buffer).set(b.subarray(start + t.offset, start + t.offset + bytes)); // copy: b may be unaligned
    tensors.set(t.name, a);
  }
  const opt = h.optimizer as { config: OptimizerConfig; t: number } | undefined;
  const pos = h.position as TrainState['position'] | undefined;
  if (!opt || !pos || !h.model || !h.run || !Array.isArray(h.shuffleRng)) fail('the header misses a section');
  const params = table.filter((t) => t.name.startsWith('param:')).map((t) => ({ name: t.name.slice(6), value: tensors.get(t.name)! }));
  const state = table.filter((t) => t.name.startsWith('opt:')).map((t) => tensors.get(t.name)!);
  return {
    model: h.model as ModelConfig,
    params,
    optimizer: { config: opt!.config, t: opt!.t, state },
    shuffleRng: h.shuffleRng as number[],
    position: pos!,
    run: h.run as TrainState['run'],
  };
}
