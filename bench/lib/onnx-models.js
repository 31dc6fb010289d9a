'use strict';
/**
 * Dense-layer models for the onnxruntime peer, built in JS with onnx-proto: Y = act(X W + B) as a
 * Gemm followed by the activation's ONNX ops, with W and B as initializers (constants, so that
 * onnxruntime may pre-pack W, as a serving graph would). Opset 20 for Gelu(approximate).
 */
const { peerRequire } = require('./peers');

const FLOAT = 1; // TensorProto.DataType.FLOAT
const OPSET = 20;

function tensor(onnx, name, dims, data) {
  const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: FLOAT,
    rawData: new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength),
  });
}

function valueInfo(onnx, name, dims) {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  });
}

function node(onnx, opType, input, output, attribute = []) {
  return onnx.NodeProto.create({ opType, input, output, name: `${opType}_${output[0]}`, attribute });
}

function stringAttr(onnx, name, value) {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.STRING, s: Buffer.from(value) });
}

/**
 * The activation as ONNX nodes from Z to Y, plus any scalar initializers they need.
 * SmeLU has no ONNX op: it is composed (5 elementwise ops) the way a user would have to.
 */
function activationNodes(onnx, act) {
  const scalar = (name, v) => tensor(onnx, name, [], [v]);
  switch (act) {
    case 'identity':
      return { nodes: [node(onnx, 'Identity', ['Z'], ['Y'])], inits: [] };
    case 'relu':
      return { nodes: [node(onnx, 'Relu', ['Z'], ['Y'])], inits: [] };
    case 'gelu':
      return { nodes: [node(onnx, 'Gelu', ['Z'], ['Y'])], inits: [] };
    case 'gelu_tanh':
      return { nodes: [node(onnx, 'Gelu', ['Z'], ['Y'], [stringAttr(onnx, 'approximate', 'tanh')])], inits: [] };
    case 'swish':
      return {
        nodes: [node(onnx, 'Sigmoid', ['Z'], ['S']), node(onnx, 'Mul', ['Z', 'S'], ['Y'])],
        inits: [],
      };
    case 'softplus':
      return { nodes: [node(onnx, 'Softplus', ['Z'], ['Y'])], inits: [] };
    case 'smelu': {
      // beta = 1: m = clip((z + beta) / (2 beta), 0, 1); y = m * ((z + beta) - beta * m)
      const beta = 1;
      return {
        nodes: [
          node(onnx, 'Add', ['Z', 'beta'], ['ZB']),
          node(onnx, 'Mul', ['ZB', 'half_inv_beta'], ['R']),
          node(onnx, 'Clip', ['R', 'zero', 'one'], ['M']),
          node(onnx, 'Mul', ['M', 'beta'], ['BM']),
          node(onnx, 'Sub', ['ZB', 'BM'], ['U']),
          node(onnx, 'Mul', ['M', 'U'], ['Y']),
        ],
        inits: [scalar('beta', beta), scalar('half_inv_beta', 1 / (2 * beta)), scalar('zero', 0), scalar('one', 1)],
      };
    }
    default:
      throw new Error(`onnx model: no graph for activation ${act}`);
  }
}

/** Serialized ModelProto for Y = act(X W + B), X [m x k], W [k x n], B [n]. */
function denseModel({ m, k, n, act, W, B }) {
  const { onnx } = peerRequire('onnx-proto');
  const a = activationNodes(onnx, act);
  const graph = onnx.GraphProto.create({
    name: `dense_${act}`,
    node: [node(onnx, 'Gemm', ['X', 'W', 'B'], ['Z']), ...a.nodes],
    initializer: [tensor(onnx, 'W', [k, n], W), tensor(onnx, 'B', [n], B), ...a.inits],
    input: [valueInfo(onnx, 'X', [m, k])],
    output: [valueInfo(onnx, 'Y', [m, n])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 9,
    producerName: 'smelu-bench',
    opsetImport: [{ domain: '', version: OPSET }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

module.exports = { denseModel };
