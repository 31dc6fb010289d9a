/**
 * An ONNX graph under construction, written straight to protobuf (the ModelProto subset: nodes,
 * float32 / int64 initializers, typed inputs and outputs, opset imports, metadata). Field numbers
 * are those of onnx.proto.
 */
import { ProtoWriter } from './protobuf';

/** ONNX TensorProto.DataType codes used here. */
export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;

/** One dimension of a graph input or output: a fixed size or a symbolic name. */
export type OnnxDim = number | string;

/** An attribute value: a float, an int, a string or a list of ints. */
export type OnnxAttr = { f: number } | { i: number } | { s: string } | { ints: number[] };

/** Builds one graph: every helper returns the name of the value it creates. */
export class OnnxGraph {
  private readonly nodes: ProtoWriter[] = [];
  private readonly inits: ProtoWriter[] = [];
  private readonly inputs: ProtoWriter[] = [];
  private readonly outputs: ProtoWriter[] = [];
  private readonly scalars = new Map<number, string>();
  private count = 0;

  /**
   * A float32 initializer.
   * @param hint the start of its name (made unique).
   * @param data the values, row-major.
   * @param dims its shape ([] for a scalar).
   * @returns the initializer's name.
   */
  floats(hint: string, data: ArrayLike<number>, dims: readonly number[]): string {
    const f = Float32Array.from(data);
    return this.tensor(hint, ONNX_FLOAT, new Uint8Array(f.buffer), dims);
  }

  /**
   * An int64 initializer.
   * @param hint the start of its name.
   * @param data the values.
   * @param dims its shape.
   * @returns the initializer's name.
   */
  ints(hint: string, data: readonly number[], dims: readonly number[]): string {
    const b = BigInt64Array.from(data.map((v) => BigInt(v)));
    return this.tensor(hint, ONNX_INT64, new Uint8Array(b.buffer), dims);
  }

  /**
   * A float32 scalar constant, shared by every use of the same value.
   * @param v the value (rounded to float32).
   * @returns the constant's name.
   */
  scalar(v: number): string {
    const key = Math.fround(v);
    let name = this.scalars.get(key);
    if (!name) {
      name = this.floats('c', [key], []);
      this.scalars.set(key, name);
    }
    return name;
  }

  /**
   * Appends a node with one output.
   * @param op the operator (default domain).
   * @param inputs names of its inputs ('' for an omitted optional input).
   * @param attrs its attributes.
   * @param output the output's name (default: a fresh one).
   * @returns the output's name.
   */
  op(op: string, inputs: readonly string[], attrs: Record<string, OnnxAttr> = {}, output?: string): string {
    const out = output ?? this.fresh(op.toLowerCase());
    const n = new ProtoWriter();
    for (const i of inputs) n.bytes(1, i);
    n.bytes(2, out).bytes(3, `${op}_${this.count++}`).bytes(4, op);
    for (const [name, a] of Object.entries(attrs)) n.bytes(5, attribute(name, a));
    this.nodes.push(n);
    return out;
  }

  /**
   * Declares a graph input.
   * @param name its name.
   * @param elemType ONNX_FLOAT or ONNX_INT64.
   * @param dims its shape; strings are symbolic dimensions.
   * @returns the name.
   */
  input(name: string, elemType: number, dims: readonly OnnxDim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /**
   * Declares a graph output (the value of that name must be produced by a node).
   * @param name its name.
   * @param elemType ONNX_FLOAT or ONNX_INT64.
   * @param dims its shape.
   */
  output(name: string, elemType: number, dims: readonly OnnxDim[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /**
   * The serialized ModelProto.
   * @param o IR version, opset, producer, graph name, documentation and metadata.
   * @returns the model's bytes.
   */
  model(o: { irVersion: number; opset: number; producer: string; version: string; name: string; doc: string; metadata: Record<string, string> }): Uint8Array {
    const g = new ProtoWriter();
    for (const n of this.nodes) g.bytes(1, n);
    g.bytes(2, o.name);
    for (const t of this.inits) g.bytes(5, t);
    g.bytes(10, o.doc);
    for (const v of this.inputs) g.bytes(11, v);
    for (const v of this.outputs) g.bytes(12, v);
    const m = new ProtoWriter()
      .varint(1, o.irVersion)
      .bytes(2, o.producer)
      .bytes(3, o.version)
      .bytes(6, o.doc)
      .bytes(7, g)
      .bytes(8, new ProtoWriter().bytes(1, '').varint(2, o.opset));
    for (const [k, v] of Object.entries(o.metadata)) m.bytes(14, new ProtoWriter().bytes(1, k).bytes(2, v));
    return m.finish();
  }

  private fresh(hint: string): string {
    return `${hint}_${this.count++}`;
  }

  private tensor(hint: string, type: number, raw: Uint8Array, dims: readonly number[]): string {
    const name = this.fresh(hint);
    const t = new ProtoWriter();
    for (const d of dims) t.varint(1, d);
    t.varint(2, type).bytes(8, name).bytes(9, raw);
    this.inits.push(t);
    return name;
  }
}

function attribute(name: string, a: OnnxAttr): ProtoWriter {
  const w = new ProtoWriter().bytes(1, name);
  // AttributeProto.type: FLOAT 1, INT 2, STRING 3, INTS 7
  if ('f' in a) return w.float(2, a.f).varint(20, 1);
  if ('i' in a) return w.varint(3, a.i).varint(20, 2);
  if ('s' in a) return w.bytes(4, a.s).varint(20, 3);
  for (const v of a.ints) w.varint(8, v);
  return w.varint(20, 7);
}

function valueInfo(name: string, elemType: number, dims: readonly OnnxDim[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) shape.bytes(1, typeof d === 'number' ? new ProtoWriter().varint(1, d) : new ProtoWriter().bytes(2, d));
  const tensorType = new ProtoWriter().varint(1, elemType).bytes(2, shape);
  return new ProtoWriter().bytes(1, name).bytes(2, new ProtoWriter().bytes(1, tensorType));
}
