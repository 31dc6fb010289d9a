/**
 * Model files: what serving needs and nothing more, in one file: the model's config, its head,
 * its feature spec (when it has one) and its weights. No optimizer state or training position
 * (checkpoints keep those, to resume training). The framing is the checkpoints' (magic
 * "SMELUMDL", version 1; see {@link emitFrame}): versioned, checksummed, written atomically and
 * read in parts, so a file of any size never sits in one Buffer.
 */
import { Features, type FeatureSpecJson } from './features';
import { decodeFrame, emitFrame, readFrameFile, writeFrame, type Frame, type FrameKind, type NamedTensor } from './frame';
import { checkHead, type Head } from './head';
import type { DataShape } from './batch';
import type { AnyParam } from './param';

/** What saving and checking a model file needs of a model (every `Model` is one). */
export interface SavableModel {
  /** The JSON config that rebuilds it. */
  config(): object;
  /** Its tensors, in a fixed order. */
  params(): AnyParam[];
  /** Throws when data of this shape do not fit. */
  checkShape(shape: DataShape): void;
}

/** The first 8 bytes of every model file. */
export const MODEL_MAGIC = 'SMELUMDL';
/** The format version written, and the only one read. */
export const MODEL_VERSION = 1;

/** A model file that cannot be read, or whose parts do not fit together. */
export class ModelFileError extends Error {
  /**
   * Names the file and what is wrong with it.
   * @param file the file (or '<buffer>'); the message starts with it.
   * @param reason what is wrong.
   */
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`model file ${file}: ${reason}`);
    this.name = 'ModelFileError';
  }
}

const KIND: FrameKind = { magic: MODEL_MAGIC, version: MODEL_VERSION, what: 'smelu model file', error: (f, r) => new ModelFileError(f, r) };

/** The contents of a model file. */
export interface ModelFileContents {
  /** The model's config, a `ModelConfig` (rebuilds it with `buildModel`). */
  config: object;
  /** How its logits become predictions. */
  head: Head;
  /** Its feature spec, or null for a model fed with datasets. */
  features: FeatureSpecJson | null;
  /** Its parameters, in `params()` order. */
  params: Array<{ name: string; shape: number[]; value: Float32Array }>;
}

/**
 * A model's file contents (its tensors are shared, not copied).
 * @param model the model.
 * @param head its head.
 * @param features its feature spec, or null.
 * @returns the contents.
 */
export function modelContents(model: SavableModel, head: Head, features: Features | null): ModelFileContents {
  return {
    config: model.config(), head, features: features ? features.toJSON() : null,
    params: model.params().map((p) => ({ name: p.name, shape: [...p.shape], value: p.value })),
  };
}

function header(c: ModelFileContents): object {
  return { format: 'smelu-model', config: c.config, head: c.head, features: c.features, shapes: c.params.map((p) => p.shape) };
}

function tensors(c: ModelFileContents): NamedTensor[] {
  return c.params.map((p): NamedTensor => [p.name, p.value]);
}

/**
 * Writes a model file atomically (temp file, fsync, rename). Synchronous.
 * @param file destination path; its directory must exist.
 * @param contents what {@link modelContents} gives.
 * @throws Error from the file system.
 */
export function writeModelFile(file: string, contents: ModelFileContents): void {
  writeFrame(file, KIND, header(contents), tensors(contents));
}

/**
 * A model file's bytes, in one buffer (for small models and tests).
 * @param contents the contents.
 * @returns the bytes.
 */
export function encodeModelFile(contents: ModelFileContents): Buffer {
  const parts: Buffer[] = [];
  emitFrame(KIND, header(contents), tensors(contents), (c) => parts.push(Buffer.from(c)));
  return Buffer.concat(parts);
}

/**
 * Reads and validates a model file, in parts. Synchronous.
 * @param file path of the file.
 * @returns the contents.
 * @throws ModelFileError for a file that cannot be read, is corrupt, truncated, of another
 *   version, or misses a field (named).
 */
export function readModelFile(file: string): ModelFileContents {
  return contentsOf(readFrameFile(file, KIND), file);
}

/**
 * Parses model file bytes.
 * @param buf the bytes.
 * @param file name for messages (default '<buffer>').
 * @returns the contents.
 * @throws ModelFileError as {@link readModelFile}.
 */
export function decodeModelFile(buf: Uint8Array, file = '<buffer>'): ModelFileContents {
  return contentsOf(decodeFrame(buf, KIND, file), file);
}

function contentsOf({ header: h, tensors: ts }: Frame, file: string): ModelFileContents {
  const fail = (why: string): never => {
    throw new ModelFileError(file, why);
  };
  if (h.format !== 'smelu-model') fail(`field 'format' must be 'smelu-model', got ${JSON.stringify(h.format)}`);
  const config = h.config as object | undefined;
  if (!config || typeof config !== 'object') fail("the header misses field 'config'");
  let head: Head = 'sigmoid';
  try {
    head = checkHead(h.head, "field 'head'");
  } catch (e) {
    fail((e as Error).message);
  }
  if (h.features !== null && (typeof h.features !== 'object' || h.features === undefined)) fail("field 'features' must be a feature spec or null");
  const shapes = h.shapes as number[][] | undefined;
  if (!Array.isArray(shapes) || shapes.length !== ts.length) fail(`field 'shapes' must list one shape per tensor (${ts.length})`);
  const params = ts.map(([name, value], i) => {
    const shape = shapes![i];
    if (!Array.isArray(shape) || shape.reduce((a, b) => a * b, 1) !== value.length) {
      fail(`tensor '${name}': shape ${JSON.stringify(shape)} does not hold its ${value.length} values`);
    }
    return { name, shape, value };
  });
  return { config: config!, head, features: (h.features as FeatureSpecJson | null) ?? null, params };
}

/**
 * Checks that saved tensors fit a model built from the same config, before any is copied.
 * @param file name for messages.
 * @param saved the file's tensors.
 * @param model the model built from the file's config.
 * @throws ModelFileError naming the first tensor (layer) whose name or shape differs, or the counts.
 */
export function checkTensorsFit(file: string, saved: ModelFileContents['params'], model: SavableModel): void {
  const params = model.params();
  if (saved.length !== params.length) {
    throw new ModelFileError(file, `${saved.length} tensors saved, the config builds ${params.length} (${params.map((p) => p.name).join(', ')})`);
  }
  params.forEach((p, i) => {
    const s = saved[i];
    const want = p.shape;
    if (s.name !== p.name) throw new ModelFileError(file, `tensor ${i} is '${s.name}', the config's layer has '${p.name}' there`);
    if (s.value.length !== p.value.length || s.shape.join('x') !== want.join('x')) {
      throw new ModelFileError(file, `tensor '${p.name}' has shape [${s.shape.join(', ')}], the config builds [${want.join(', ')}]`);
    }
  });
}

/**
 * Restores a feature spec and checks it against the model's inputs.
 * @param file name for messages.
 * @param json the saved spec, or null.
 * @param model the model.
 * @returns the spec, or null.
 * @throws ModelFileError naming the field that is wrong, or what the spec and model disagree on.
 */
export function restoreFeatures(file: string, json: FeatureSpecJson | null, model: SavableModel): Features | null {
  if (json === null) return null;
  let f: Features;
  try {
    f = Features.fromJSON(json);
  } catch (e) {
    throw new ModelFileError(file, (e as Error).message);
  }
  try {
    model.checkShape(f.shape());
  } catch (e) {
    throw new ModelFileError(file, `the features do not fit the model: ${(e as Error).message}`);
  }
  return f;
}
