/**
 * Training building blocks: layers, models, losses, metrics, optimizers, the seeded RNG, data
 * loaders, checkpoints, the train loop (deterministic) and the asynchronous Hogwild trainer
 * (nondeterministic on purpose). Re-exported by the package as `nn`.
 */
export { Rng, SplitMix64, deriveSeed, mix64, permutation, toSeed64, type Seed } from './rng';
export { initialize, checkInitializer, INITIALIZER_NAMES, type Initializer, type InitializerName } from './init';
export { Param, SparseParam, countParams, type AnyParam } from './param';
export { Buf, type Layer, type ParamInit } from './layer';
export { Dense, denseConfig, type DenseConfig, type DenseOptions } from './dense-layer';
export { Embedding, embeddingConfig, type EmbeddingConfig, type EmbeddingOptions, type Pooling } from './embedding';
export { LayerNorm, type LayerNormConfig } from './layernorm';
export { Concat } from './concat';
export { ActivationLayer, type ActivationLayerConfig } from './activation-layer';
export {
  LearnableGsmelu, gsmeluPartials, GSMELU_F, GSMELU_DX, GSMELU_DGNEG, GSMELU_DGPOS, GSMELU_DALPHA, GSMELU_DBETA, GSMELU_DT,
  type GsmeluLayerConfig, type GsmeluValues,
} from './gsmelu';
export {
  BaseModel, Sequential, SequentialModel, layerFromConfig, mlp, towerConfig,
  type Bag, type Batch, type DataShape, type LayerConfig, type MlpOptions, type Model, type ModelConfig, type PredictOptions,
  type SequentialConfig, type TowerOptions,
} from './model';
export { checkHead, defaultHead, headOfLoss, type Head } from './head';
export { Features, features, type ColumnStats, type FeatureOptions, type FeatureSpecJson, type RawRow, type Scaling } from './features';
export {
  MODEL_MAGIC, MODEL_VERSION, ModelFileError, decodeModelFile, encodeModelFile, modelContents, readModelFile, writeModelFile,
  type ModelFileContents,
} from './model-file';
export { loadModel, modelFromCheckpoint, type FromCheckpointOptions } from './load-model';
export { FRAME_PART } from './frame';
export { CtrModel, ctrModel, type CtrConfig, type CtrFieldConfig, type CtrFieldOptions, type CtrOptions } from './ctr';
export { buildModel } from './build';
export {
  bce, getLoss, meanSquaredError, mse, sigmoid, sigmoidBce, softmaxCe, softmaxCrossEntropy, softplus, type Loss, type LossName,
} from './loss';
export { accuracy, auc, logLoss, multiclassLogLoss } from './metrics';
export {
  Adagrad, Adam, Optimizer, Sgd, clipGradNorm, createOptimizer, gradNorm,
  type AdagradConfig, type AdamConfig, type OptimizerConfig, type OptimizerKind, type SgdConfig,
} from './optim';
export { checkSchedule, lrAt, type LrSchedule } from './schedule';
export {
  CHECKPOINT_MAGIC, CHECKPOINT_VERSION, CheckpointError, decodeCheckpoint, encodeCheckpoint, loadCheckpoint, saveCheckpoint,
  type EpochRecord, type TrainState,
} from './checkpoint';
export {
  Trainer, checkTask, evaluate, fit, loadWeights, predict, resolveShuffleSeed, type FitOptions, type FitResult, type ProgressEvent,
} from './train';
export { fitAsync, type AsyncFitOptions, type AsyncFitResult } from './hogwild';
export { formatCount, formatProgress, progressBar, terminalProgress, type TerminalProgressOptions } from './progress';
export { BatchGatherer, Dataset, type DatasetColumns, type DatasetInit } from './data/dataset';
export { DatasetBuilder, type BuilderShape } from './data/builder';
export {
  LineLoader, MAX_RECORD_CHARS, MalformedLineError, isGzip, loadLineChunks, loadLines, parseLines, readLines,
  type LineIssue, type LineParser, type Loaded, type LoadOptions, type LoadReport, type OnMalformed,
} from './data/lines';
export { bucketOf, fmix32, hashString, hashUint32 } from './data/hash';
export {
  CsvParser, columnMean, describeColumn, loadCsv, loadCsvChunks, parseCsv, parseNumber, resolveCsvLayout, splitCsvLine,
  type ColumnRef, type CsvColumns, type CsvLayout, type CsvOptions, type MissingPolicy, type PositiveLabel,
} from './data/csv';
export { LibsvmParser, loadLibsvm, loadLibsvmChunks, parseLibsvm, type LibsvmOptions } from './data/libsvm';
export {
  CRITEO_CAT_COLUMNS, CRITEO_INT_COLUMNS, CriteoParser, loadCriteo, loadCriteoChunks, parseCriteo, type CriteoOptions,
} from './data/criteo';
export { SyntheticCtr, syntheticCtr, syntheticCtrChunks, type SyntheticCtrOptions } from './data/synthetic';
export { digitsCandidates, loadDigits } from './data/digits';
