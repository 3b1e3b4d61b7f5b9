/**
 * Heads: small models on frozen backbone features. One head may answer several tasks at once (multi-task:
 * one backbone, several outputs, e.g. chromosome type + polarity, or pneumonia + view).
 */

export type HeadKind = 'linear' | 'mlp' | 'gnb'
export const headKinds: readonly HeadKind[] = ['gnb', 'linear', 'mlp']

/** One output of a head. */
export interface HeadTask {
  /** Output name in the exported model and key of its targets. */
  name: string
  /** softmax: one of `labels` (≥ 2); sigmoid: each label independently (multi-label, or one binary label). */
  type: 'softmax' | 'sigmoid'
  labels: string[]
}

/**
 * Feature vectors with their targets. Targets per task:
 *   softmax: Int32Array [count] of class indices, -1 = unknown (left out of that task);
 *   sigmoid: Float32Array [count × labels] of 0/1, NaN = unknown.
 */
export interface HeadData {
  count: number
  dim: number
  /** [count × dim], row-major. */
  features: Float32Array
  targets: Record<string, Int32Array | Float32Array>
}

export interface MlpOptions {
  /** Hidden layer sizes, e.g. [256] or [512, 128]. */
  hidden: number[]
  /** Dropout after each hidden layer (training only). */
  dropout: number
}

export interface HeadTrainOptions {
  kind: HeadKind | 'auto'
  /** For 'mlp' (and the MLP candidate of 'auto'). Default { hidden: [256], dropout: 0.3 }. */
  mlp?: MlpOptions
  /** Epochs for linear/MLP heads (early stopping on the validation set). Default 60. */
  epochs?: number
  seed?: number
  /** GNB variance smoothing, as a fraction of the largest feature variance. Default: chosen by validation. */
  varSmoothing?: number
  threads?: number
  onProgress?: (message: string, fraction: number) => void
  signal?: AbortSignal
}

/** Per task, [count × outputs] probabilities. */
export type HeadScores = Record<string, Float32Array>

export interface TrainedHead {
  kind: HeadKind
  tasks: HeadTask[]
  dim: number
  /** Inference graph: input `features` [batch, dim] → one probabilities output per task. */
  onnx: Uint8Array
  /** Validation metrics, e.g. { 'val.pneumonia.auc': 0.9, 'val.view.accuracy': 0.95 }. */
  metrics: Record<string, number>
  /** What training saw and did (for the manifest). */
  training: { trainCount: number; valCount: number; seconds: number; epochs?: number; hyperparameters: Record<string, number | string | boolean> }
  /** For 'auto': every candidate's validation score and why this one won. */
  choice?: { reason: string; candidates: { kind: HeadKind; score: number; metrics: Record<string, number> }[] }
}
