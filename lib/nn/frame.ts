/**
 * The binary framing shared by checkpoints and model files: a JSON header and float32 tensors in
 * one versioned, checksummed file, written atomically (temp file, fsync, rename, fsync of the
 * directory) and read in parts, so no single Buffer ever holds the file: tensors of any size
 * (past 2 GiB) are written and read piece by piece.
 *
 * Layout (little-endian):
 *   0   8 bytes  magic (e.g. "SMELUCKP", "SMELUMDL")
 *   8   u32      format version
 *   12  u32      header length H
 *   16  u64      total file length (catches truncation before anything is parsed)
 *   24  H bytes  header, JSON (its `tensors` table: name, offset and length of each float32 tensor)
 *       padding to a multiple of 8, then the tensors, each padded to 8 bytes
 *   end 32 bytes SHA-256 of every byte before it
 * Reading checks size, magic, version, length and checksum first (one pass over the file), then
 * the header and every tensor's bounds (a second pass copies the tensors out).
 */
import { createHash, randomBytes } from 'crypto';
import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'fs';
import { endianness } from 'os';
import { basename, dirname, join } from 'path';

const PREFIX = 24;
const DIGEST = 32;
/** Bytes per write, read or hash update: far below every 2 GiB limit of Node's I/O calls. */
export const FRAME_PART = 1 << 24;

/** What a framed file is, for its messages. */
export interface FrameKind {
  /** The 8 magic bytes. */
  magic: string;
  /** The version written, and the only one read. */
  version: number;
  /** What the file is called in messages, e.g. 'smelu checkpoint'. */
  what: string;
  /** Makes the error thrown for a bad file (it names the file). */
  error: (file: string, reason: string) => Error;
}

/** One tensor of a framed file. */
export type NamedTensor = [name: string, value: Float32Array];

interface TensorEntry {
  name: string;
  offset: number;
  length: number;
}

/** n rounded up to a multiple of 8 (arithmetic, not bitwise: sizes pass 2^31). */
function pad8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/** Cuts a byte range into parts of at most {@link FRAME_PART} bytes. */
function* parts(b: Uint8Array): Generator<Uint8Array> {
  for (let o = 0; o < b.byteLength; o += FRAME_PART) yield b.subarray(o, Math.min(b.byteLength, o + FRAME_PART));
}

/**
 * Emits a framed file's bytes in order (header, tensors, digest) in parts of at most
 * {@link FRAME_PART} bytes; nothing is copied into one big buffer.
 * @param kind magic and version.
 * @param header the JSON header (a `tensors` table and `littleEndian` are added).
 * @param tensors the tensors, in file order.
 * @param sink receives every part.
 */
export function emitFrame(kind: FrameKind, header: object, tensors: readonly NamedTensor[], sink: (chunk: Uint8Array) => void): void {
  const hash = createHash('sha256');
  const out = (b: Uint8Array): void => {
    for (const p of parts(b)) (hash.update(p), sink(p));
  };
  const table: TensorEntry[] = [];
  let off = 0;
  for (const [name, a] of tensors) {
    table.push({ name, offset: off, length: a.length });
    off += pad8(a.byteLength);
  }
  const head = Buffer.from(JSON.stringify({ ...header, littleEndian: true, tensors: table }), 'utf8');
  const dataStart = pad8(PREFIX + head.length);
  const prefix = Buffer.alloc(PREFIX);
  prefix.write(kind.magic, 0, 'latin1');
  prefix.writeUInt32LE(kind.version, 8);
  prefix.writeUInt32LE(head.length, 12);
  prefix.writeBigUInt64LE(BigInt(dataStart + off + DIGEST), 16);
  out(prefix);
  out(head);
  out(Buffer.alloc(dataStart - PREFIX - head.length));
  for (const [, a] of tensors) {
    out(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    out(Buffer.alloc(pad8(a.byteLength) - a.byteLength));
  }
  sink(hash.digest());
}

/**
 * Writes a framed file atomically: a temp file next to `file`, fsync, rename over `file`, fsync
 * of the directory. Synchronous.
 * @param file destination path; its directory must exist.
 * @param kind magic and version.
 * @param header the JSON header.
 * @param tensors the tensors.
 * @throws Error on a big-endian host, and the file system's errors (the temp file is removed when
 *   writing it fails).
 */
export function writeFrame(file: string, kind: FrameKind, header: object, tensors: readonly NamedTensor[]): void {
  if (endianness() !== 'LE') throw new Error(`${kind.what} files are written on little-endian hosts only`);
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    emitFrame(kind, header, tensors, (c) => {
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

/** Random access to a framed file's bytes: an open file, or bytes in memory. */
interface ByteSource {
  size: number;
  /** Fills `into` from byte `pos` on. */
  read(pos: number, into: Uint8Array): void;
}

function bufferSource(b: Uint8Array): ByteSource {
  return { size: b.byteLength, read: (pos, into) => into.set(b.subarray(pos, pos + into.byteLength)) };
}

function fileSource(fd: number): ByteSource {
  return {
    size: fstatSync(fd).size,
    read(pos, into) {
      for (const p of parts(into)) {
        for (let done = 0; done < p.byteLength; ) {
          const n = readSync(fd, p, done, p.byteLength - done, pos + (p.byteOffset - into.byteOffset) + done);
          if (n === 0) throw new Error('the file shrank while it was read');
          done += n;
        }
      }
    },
  };
}

/** A framed file's header and tensors, fully validated. */
export interface Frame {
  /** The JSON header (without its tensor table). */
  header: Record<string, unknown>;
  /** The tensors, in file order. */
  tensors: NamedTensor[];
}

/**
 * Reads and fully validates a framed file, in parts. Synchronous.
 * @param file path of the file.
 * @param kind what the file must be.
 * @returns the header and tensors; nothing is returned from a file that fails any check.
 * @throws what `kind.error` makes, when the file cannot be read or is not valid.
 */
export function readFrameFile(file: string, kind: FrameKind): Frame {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw kind.error(file, `cannot be read (${(e as Error).message})`);
  }
  try {
    return parseFrame(fileSource(fd), kind, file);
  } catch (e) {
    if (e instanceof Error && !(e as NodeJS.ErrnoException).code) throw e;
    throw kind.error(file, `cannot be read (${(e as Error).message})`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Parses a framed file held in memory.
 * @param buf the bytes (tensors are copied out of them).
 * @param kind what the file must be.
 * @param file name used in messages.
 * @returns the header and tensors.
 * @throws what `kind.error` makes, for a bad file.
 */
export function decodeFrame(buf: Uint8Array, kind: FrameKind, file: string): Frame {
  return parseFrame(bufferSource(buf), kind, file);
}

function parseFrame(src: ByteSource, kind: FrameKind, file: string): Frame {
  const fail = (why: string): never => {
    throw kind.error(file, why);
  };
  const size = src.size;
  const prefix = Buffer.alloc(Math.min(PREFIX, size));
  src.read(0, prefix);
  if (size < 8 || prefix.toString('latin1', 0, 8) !== kind.magic) {
    fail(size < 8 ? `truncated: ${size} bytes` : `not a ${kind.what} (bad magic bytes)`);
  }
  if (size < PREFIX + DIGEST) fail(`truncated: ${size} bytes is less than the fixed header`);
  const version = prefix.readUInt32LE(8);
  if (version !== kind.version) fail(`unsupported format version ${version} (this build reads version ${kind.version})`);
  const total = Number(prefix.readBigUInt64LE(16));
  if (size < total) fail(`truncated: the file has ${size} of its ${total} bytes`);
  if (size > total) fail(`${size - total} unexpected bytes after the end (expected ${total} bytes)`);
  if (!digestOf(src, total - DIGEST).equals(readBytes(src, total - DIGEST, DIGEST))) fail('checksum mismatch: the file is corrupt');
  const hlen = prefix.readUInt32LE(12);
  if (PREFIX + hlen > total - DIGEST) fail('header length exceeds the file');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(readBytes(src, PREFIX, hlen).toString('utf8'));
  } catch {
    return fail('the header is not valid JSON');
  }
  if (header.littleEndian !== true || endianness() !== 'LE') fail('byte order does not match this host');
  const tensors = readTensors(src, header.tensors, pad8(PREFIX + hlen), total - DIGEST, fail);
  const { tensors: _t, littleEndian: _l, ...rest } = header;
  return { header: rest, tensors };
}

function readBytes(src: ByteSource, pos: number, n: number): Buffer {
  const b = Buffer.alloc(n);
  src.read(pos, b);
  return b;
}

function digestOf(src: ByteSource, end: number): Buffer {
  const hash = createHash('sha256');
  const part = Buffer.alloc(Math.min(FRAME_PART, end));
  for (let pos = 0; pos < end; pos += part.length) {
    const p = part.subarray(0, Math.min(part.length, end - pos));
    src.read(pos, p);
    hash.update(p);
  }
  return hash.digest();
}

function readTensors(src: ByteSource, table: unknown, start: number, end: number, fail: (w: string) => never): NamedTensor[] {
  if (!Array.isArray(table)) return fail('the header has no tensor table');
  const entries = table as TensorEntry[];
  for (const t of entries) {
    if (!Number.isSafeInteger(t.offset) || !Number.isSafeInteger(t.length) || t.offset < 0 || t.length < 0 || start + t.offset + t.length * 4 > end) {
      fail(`tensor '${String(t.name)}' lies outside the data`);
    }
  }
  return entries.map((t): NamedTensor => {
    const a = new Float32Array(t.length);
    src.read(start + t.offset, new Uint8Array(a.buffer)); // copied into its own aligned buffer
    return [t.name, a];
  });
}
