/**
 * Heads on backbone features: linear (softmax/sigmoid), MLP (trained by main/ml/train), Gaussian naive
 * Bayes (closed form), multi-task (several outputs from one head), and 'auto', which picks among them by
 * validation and says why. `trainHead` returns an ONNX inference graph; `headManifest` describes it for
 * the registry, which checks and stores it like any imported model.
 */
export type * from './spec'
export { headKinds } from './spec'
export { trainHead, gnbSmoothings } from './train-head'
export { headManifest, type HeadIdentity } from './manifest'
export { fitGnb, predictGnb, gnbToOnnx } from './gnb'
export { headNetwork, foldStandardisation, standardisation } from './network'
export { headMetrics, headScore } from './metrics'
export { targetsFromRows, splitByGroup, headDataFor, type ColumnTask } from './dataset'
