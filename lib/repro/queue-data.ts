/**
 * The data of a queued sweep: what the submitter promises (where each data file is and the SHA-256
 * of its bytes; for generated data, the SHA-256 of the generated split) and what a worker checks
 * before training. A worker never trains on data whose hash differs from the job's.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Dataset } from '../nn';
import type { DataConfig } from './config';
import type { FileDataConfig } from './filedata';
import { loadSplit } from './train';

/** One data file: its path on the submitter, where workers read it (a path or an http(s) URL), its hash. */
export interface DataFile {
  file: string;
  location: string;
  sha256: string;
}

/** The data of a job: its files (file data) or the hash of the generated split (presets). */
export interface DataSource {
  files: DataFile[];
  generated?: string;
}

/** Raised when a worker's copy of the data is not the sweep's: the job fails with this message. */
export class DataMismatchError extends Error {}

function filesOf(d: FileDataConfig): string[] {
  return d.test.kind === 'file' ? [d.file, d.test.file] : [d.file];
}

function withFiles(d: FileDataConfig, local: Map<string, string>): FileDataConfig {
  const test = d.test.kind === 'file' ? { ...d.test, file: local.get(d.test.file)! } : d.test;
  return { ...d, file: local.get(d.file)!, test };
}

/** SHA-256 of a file's bytes, read as a stream (files larger than memory). */
export async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(fs.createReadStream(file), h);
  return h.digest('hex');
}

const generated = new Map<string, string>();

/** SHA-256 of a generated split: every column of the training and test rows (once per config). */
export function generatedSha256(d: DataConfig): string {
  const key = JSON.stringify(d);
  let hash = generated.get(key);
  if (!hash) generated.set(key, (hash = hashSplit(d)));
  return hash;
}

function hashSplit(d: DataConfig): string {
  const s = loadSplit(d);
  const h = createHash('sha256');
  const add = (ds: Dataset): void => {
    for (const col of [ds.dense, ds.cat, ds.labels, ...ds.bags.flatMap((b) => Object.values(b))]) {
      if (ArrayBuffer.isView(col)) h.update(new Uint8Array(col.buffer, col.byteOffset, col.byteLength));
    }
  };
  add(s.train);
  add(s.test);
  return h.digest('hex');
}

/**
 * The submitter's promise about a job's data. File data are read by workers at the same absolute
 * path (a shared file system) or, with `baseUrl`, at baseUrl + the file's name.
 */
export async function describeData(d: DataConfig, baseUrl?: string): Promise<DataSource> {
  if (d.kind !== 'file') return { files: [], generated: generatedSha256(d) };
  const files = await Promise.all(
    filesOf(d).map(async (file) => ({
      file,
      location: baseUrl ? new URL(path.basename(file), baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).href : path.resolve(file),
      sha256: await fileSha256(file),
    })),
  );
  return { files };
}

const isUrl = (s: string): boolean => /^https?:\/\//i.test(s);

/** Downloads a URL into `dir`, named by its hash once verified (a verified copy is reused by later jobs). */
async function download(f: DataFile, dir: string): Promise<string> {
  const dest = path.join(dir, `${f.sha256}-${path.basename(new URL(f.location).pathname) || 'data'}`);
  if (fs.existsSync(dest)) return dest;
  fs.mkdirSync(dir, { recursive: true });
  const res = await fetch(f.location);
  if (!res.ok || !res.body) throw new Error(`data ${f.location}: HTTP ${res.status}`);
  const tmp = `${dest}.${process.pid}.tmp`;
  await pipeline(Readable.fromWeb(res.body as never), fs.createWriteStream(tmp));
  const got = await fileSha256(tmp);
  if (got !== f.sha256) {
    fs.rmSync(tmp, { force: true });
    throw new DataMismatchError(`data ${f.location} has sha256 ${got}, the sweep's is ${f.sha256}: not training on other data`);
  }
  fs.renameSync(tmp, dest);
  return dest;
}

/** Hashes of files already checked by this worker, by path, size and mtime (a big file is hashed once). */
const checked = new Map<string, string>();

async function verifiedPath(f: DataFile): Promise<string> {
  let st: fs.Stats;
  try {
    st = fs.statSync(f.location);
  } catch {
    throw new DataMismatchError(`data ${f.location} is not readable on this worker (give workers a shared path or an http(s) URL)`);
  }
  const id = `${f.location}:${st.size}:${st.mtimeMs}`;
  const got = checked.get(id) ?? (await fileSha256(f.location));
  checked.set(id, got);
  if (got !== f.sha256) throw new DataMismatchError(`data ${f.location} has sha256 ${got}, the sweep's is ${f.sha256}: not training on other data`);
  return f.location;
}

/**
 * The job's data config on this worker, after checking the hash: file paths replaced by verified
 * local files (downloads go to `dir`); generated data regenerated and compared.
 * @throws DataMismatchError when the bytes differ from the sweep's.
 */
export async function localData(d: DataConfig, src: DataSource, dir: string): Promise<DataConfig> {
  if (d.kind !== 'file') {
    const got = generatedSha256(d);
    if (got !== src.generated) throw new DataMismatchError(`generated data ${d.kind} have sha256 ${got}, the sweep's is ${src.generated}: not training on other data`);
    return d;
  }
  const local = new Map<string, string>();
  for (const f of src.files) local.set(f.file, isUrl(f.location) ? await download(f, dir) : await verifiedPath(f));
  return withFiles(d, local);
}
