/**
 * A minimal protocol-buffers writer: the wire types the ONNX ModelProto subset needs (varints,
 * length-delimited bytes / strings / nested messages, fixed32 floats). Messages are built
 * bottom-up: a {@link ProtoWriter} collects one message's fields and nests as a length-delimited
 * field of its parent.
 */

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

const utf8 = new TextEncoder();

/** Collects the encoded fields of one protobuf message. */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  /**
   * A varint field (int32 / int64 / enum / bool). Negative values are written as 10-byte
   * two's-complement varints, as protobuf does for int64.
   * @param field the field number.
   * @param v a safe integer or a bigint.
   * @returns this writer.
   */
  varint(field: number, v: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.push(encodeVarint(BigInt(v)));
    return this;
  }

  /**
   * A float field (fixed32, little-endian).
   * @param field the field number.
   * @param v the value (rounded to float32).
   * @returns this writer.
   */
  float(field: number, v: number): this {
    this.tag(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
    return this;
  }

  /**
   * A length-delimited field: raw bytes, a nested message or a UTF-8 string.
   * @param field the field number.
   * @param v bytes, a string, or a writer whose message is nested.
   * @returns this writer.
   */
  bytes(field: number, v: Uint8Array | string | ProtoWriter): this {
    const b = typeof v === 'string' ? utf8.encode(v) : v instanceof ProtoWriter ? v.finish() : v;
    this.tag(field, WIRE_LEN);
    this.push(encodeVarint(BigInt(b.length)));
    this.push(b);
    return this;
  }

  /**
   * The message's bytes.
   * @returns a new array holding every field written so far, in order.
   */
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }

  private tag(field: number, wire: number): void {
    this.push(encodeVarint(BigInt(field) * 8n + BigInt(wire)));
  }

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }
}

/** Base-128 varint of a uint64 (negative values as their 64-bit two's complement). */
function encodeVarint(v: bigint): Uint8Array {
  let u = BigInt.asUintN(64, v);
  const out: number[] = [];
  do {
    const low = Number(u & 0x7fn);
    u >>= 7n;
    out.push(u ? low | 0x80 : low);
  } while (u);
  return Uint8Array.from(out);
}
