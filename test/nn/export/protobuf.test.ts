/**
 * The protobuf writer against wire-format examples, and the exported ModelProto read back with a
 * small reader: IR version and opset as stated, only default-domain operators, Gelu from opset 20.
 */
import { describe, expect, it } from 'vitest';
import { exportOnnx, mlp } from '../../../lib/nn';
import { ProtoWriter } from '../../../lib/nn/export/protobuf';

type Field = { field: number; wire: number; value: bigint | Uint8Array };

function readVarint(b: Uint8Array, at: number): [bigint, number] {
  let v = 0n;
  let shift = 0n;
  let p = at;
  for (;;) {
    const byte = b[p++];
    v |= BigInt(byte & 0x7f) << shift;
    if (byte < 0x80) return [v, p];
    shift += 7n;
  }
}

/** The top-level fields of one message (varint, fixed32 and length-delimited only). */
function fields(b: Uint8Array): Field[] {
  const out: Field[] = [];
  for (let p = 0; p < b.length; ) {
    const [tag, q] = readVarint(b, p);
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) {
      const [v, r] = readVarint(b, q);
      out.push({ field, wire, value: v });
      p = r;
    } else if (wire === 2) {
      const [len, r] = readVarint(b, q);
      out.push({ field, wire, value: b.subarray(r, r + Number(len)) });
      p = r + Number(len);
    } else if (wire === 5) {
      out.push({ field, wire, value: b.subarray(q, q + 4) });
      p = q + 4;
    } else {
      throw new Error(`unexpected wire type ${wire}`);
    }
  }
  return out;
}

const text = (v: Field['value']) => new TextDecoder().decode(v as Uint8Array);
const get = (fs: Field[], n: number) => fs.filter((f) => f.field === n).map((f) => f.value);

describe('ProtoWriter', () => {
  it('writes the wire format of the protobuf documentation examples', () => {
    expect(Array.from(new ProtoWriter().varint(1, 150).finish())).toEqual([0x08, 0x96, 0x01]);
    expect(Array.from(new ProtoWriter().bytes(2, 'testing').finish())).toEqual([0x12, 0x07, ...new TextEncoder().encode('testing')]);
    // int64 -1: ten bytes of two's complement
    expect(Array.from(new ProtoWriter().varint(3, -1).finish())).toEqual([0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(Array.from(new ProtoWriter().float(4, 1.5).finish())).toEqual([0x25, 0x00, 0x00, 0xc0, 0x3f]);
    const nested = new ProtoWriter().bytes(3, new ProtoWriter().varint(1, 150)).finish();
    expect(Array.from(nested)).toEqual([0x1a, 0x03, 0x08, 0x96, 0x01]);
  });
});

describe('the exported ModelProto', () => {
  const model = mlp({ inputs: 3, hidden: [4], outputs: 2, activation: 'gelu', layerNorm: true, seed: 1 });

  for (const [opset, ir] of [[17, 8], [18, 8], [19, 9], [20, 9], [21, 10]]) {
    it(`opset ${opset}: ir_version ${ir}, one default-domain opset import, standard operators`, () => {
      const top = fields(exportOnnx(model, { opset }));
      expect(get(top, 1)).toEqual([BigInt(ir)]);
      expect(text(get(top, 2)[0])).toBe('smelu');
      const imports = get(top, 8).map((v) => fields(v as Uint8Array));
      expect(imports).toHaveLength(1);
      expect(text(get(imports[0], 1)[0])).toBe('');
      expect(get(imports[0], 2)).toEqual([BigInt(opset)]);
      const graph = fields(get(top, 7)[0] as Uint8Array);
      const nodes = get(graph, 1).map((v) => fields(v as Uint8Array));
      const ops = new Set(nodes.map((n) => text(get(n, 4)[0])));
      expect(nodes.every((n) => get(n, 7).length === 0)).toBe(true); // no custom domain
      expect(ops.has('Gelu')).toBe(opset >= 20);
      expect(ops.has('Erf')).toBe(opset < 20);
      expect([...ops].sort()).toEqual([...ops].filter((o) => /^[A-Z][A-Za-z]+$/.test(o)).sort());
      expect(ops.has('LayerNormalization') && ops.has('Gemm')).toBe(true);
    });
  }
});
