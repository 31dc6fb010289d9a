/**
 * `smelu/tfjs`: SmeLU, gSmeLU and RESCU-2 for TensorFlow.js users, as ops with their analytic
 * gradients and as tf.layers layers registered for serialization, plus {@link exportTfjs} (a
 * trained smelu model as a tf.LayersModel). Needs the optional peer dependency
 * `@tensorflow/tfjs`; importing this module without it throws one Error naming the package.
 */
export { tf, TFJS_PACKAGE } from './load';
export { activate, gsmelu, rescu2, smelu, type GsmeluParams, type ParamLike, type Tensor } from './ops';
export {
  GSmeLU, GsmeluProjection, RESCU2, SERIALIZATION_PACKAGE, SmeLU, SmeluActivation,
  type BetaLayerArgs, type GSmeLUArgs, type LayerArgs, type SmeluActivationArgs,
} from './layers';
export { exportTfjs, SmeluEmbedding, tfjsInputs, type SmeluEmbeddingArgs, type TfjsOutput } from './export';
export { fileHandler } from './files';
