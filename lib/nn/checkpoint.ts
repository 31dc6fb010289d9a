/**
 * Checkpoints: the whole training state (model config and weights, optimizer config, step and
 * state, shuffle RNG state, loop position) in one versioned, checksummed binary file (magic
 * "SMELUCKP", version 1, the layout of {@link emitFrame}), written atomically: temp file, fsync,
 * rename, fsync of the directory. A crash at any moment leaves either the old file or the new
 * one, never a mix. Reading checks size, magic, version, length and checksum first, then the
 * header and every tensor's bounds; only a fully valid file yields a state, so a load never
 * half-applies. Files are written and read in parts (no single buffer holds them).
 */
import { decodeFrame, emitFrame, readFrameFile, writeFrame, type Frame, type FrameKind, type NamedTensor } from './frame';
import type { ModelConfig } from './model';
import type { OptimizerConfig } from './optim';

/** The first 8 bytes of every checkpoint file. */
export const CHECKPOINT_MAGIC = 'SMELUCKP';
/** The format version written, and the only one read. */
export const CHECKPOINT_VERSION = 1;

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

const KIND: FrameKind = {
  magic: CHECKPOINT_MAGIC, version: CHECKPOINT_VERSION, what: 'smelu checkpoint', error: (file, reason) => new CheckpointError(file, reason),
};

function tensorsOf(s: TrainState): NamedTensor[] {
  return [
    ...s.params.map((p): NamedTensor => [`param:${p.name}`, p.value]),
    ...s.optimizer.state.map((a, i): NamedTensor => [`opt:${i}`, a]),
  ];
}

function headerOf(state: TrainState): object {
  const { params: _p, optimizer, ...rest } = state;
  return { ...rest, optimizer: { config: optimizer.config, t: optimizer.t } };
}

/**
 * The checkpoint file's bytes (see the module comment for the layout).
 * @param state the state to encode.
 * @returns one Buffer holding the whole file.
 */
export function encodeCheckpoint(state: TrainState): Buffer {
  const parts: Buffer[] = [];
  emitFrame(KIND, headerOf(state), tensorsOf(state), (c) => parts.push(Buffer.from(c)));
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
  writeFrame(file, KIND, headerOf(state), tensorsOf(state));
}

/**
 * Reads and fully validates a checkpoint file. Synchronous.
 * @param file path of the file.
 * @returns the state; nothing is returned from a file that fails any check.
 * @throws CheckpointError when the file cannot be read or is not a valid checkpoint.
 */
export function loadCheckpoint(file: string): TrainState {
  return stateOf(readFrameFile(file, KIND), file);
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
  return stateOf(decodeFrame(buf, KIND, file), file);
}

function stateOf({ header: h, tensors }: Frame, file: string): TrainState {
  const opt = h.optimizer as { config: OptimizerConfig; t: number } | undefined;
  const pos = h.position as TrainState['position'] | undefined;
  if (!opt || !pos || !h.model || !h.run || !Array.isArray(h.shuffleRng)) throw new CheckpointError(file, 'the header misses a section');
  const params = tensors.filter(([n]) => n.startsWith('param:')).map(([n, value]) => ({ name: n.slice(6), value }));
  const state = tensors.filter(([n]) => n.startsWith('opt:')).map(([, a]) => a);
  return {
    model: h.model as ModelConfig,
    params,
    optimizer: { config: opt.config, t: opt.t, state },
    shuffleRng: h.shuffleRng as number[],
    position: pos,
    run: h.run as TrainState['run'],
  };
}
