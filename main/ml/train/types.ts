/** Options, data, progress and results of `train()`; the network itself is described in spec.ts. */
import type { OptimizerSpec, ScheduleSpec } from '../optim/spec'
import type { NetworkSpec } from './spec'

export type { OptimizerSpec, ScheduleSpec }

/** A named float tensor (row-major). */
export interface NamedTensor {
  shape: number[]
  data: Float32Array
}

/**
 * All of a network's state by name: `<layer>.weight`, `<layer>.bias`, and for batchnorm `<layer>.scale`,
 * `<layer>.bias`, `<layer>.runningMean`, `<layer>.runningVar`. Dense weights are [units, in] and conv
 * weights [filters, in/groups, kh, kw], as in PyTorch.
 */
export type Weights = Record<string, NamedTensor>

/** Fills one sample of one input (row-major, the input's per-sample shape) — for lazy decoding or augmentation. */
export type SampleReader = (index: number, out: Float32Array, info: { training: boolean; epoch: number; random: () => number }) => void

export interface TrainData {
  /** Number of samples. */
  count: number
  /** Per network input: every sample row-major ([count, ...shape]) or a reader filling one sample. */
  inputs: Record<string, Float32Array | SampleReader>
  /**
   * Per head (by head name):
   * - softmax-cross-entropy: class indices (Int32Array or number[]), -1 = no label (ignored);
   * - sigmoid-binary-cross-entropy: Float32Array [count * outputs] of 0/1, NaN = missing label (ignored);
   * - mean-squared-error: Float32Array [count * outputSize].
   * Not needed for predict()/evaluate() unless metrics are wanted.
   */
  targets?: Record<string, Int32Array | Float32Array | number[]>
}

export interface TrainOptions {
  network: NetworkSpec
  data: TrainData
  /** Held-out data: a fraction of `data` (stratified by the first classification head), explicit data, or none. Default { fraction: 0.1 }. */
  validation?: { fraction: number } | { data: TrainData } | null
  epochs: number
  /** Default 32. The last incomplete batch of an epoch is skipped (samples are reshuffled every epoch). */
  batchSize?: number
  optimizer: OptimizerSpec
  schedule?: ScheduleSpec
  /** Seeds initial weights, shuffling, validation split and dropout. Default 1. */
  seed?: number
  /**
   * Class balancing for softmax heads without explicit classWeights, and BCE heads without positiveWeights:
   * 'weights' = inverse-frequency loss weights; 'sampling' = batches drawn with inverse-frequency
   * probability (by the first softmax head); 'none' (default).
   */
  balance?: 'none' | 'weights' | 'sampling'
  /** Validation metric that picks the best epoch, e.g. 'loss' (default), 'type.accuracy', 'findings.auc'. */
  monitor?: string
  /** Stop when the monitored metric has not improved for `patience` epochs. */
  earlyStopping?: { patience: number; minDelta?: number }
  /** Return the weights of the best validation epoch rather than the last (default true). */
  keepBest?: boolean
  /** Start from these weights (e.g. a parent model) instead of a fresh initialisation. */
  initialWeights?: Weights
  /** Save a checkpoint after every epoch (atomically); with resume, continue from it if it exists. */
  checkpoint?: { path: string; resume?: boolean }
  onProgress?: (progress: TrainProgress) => void
  /** Minimum milliseconds between step-level progress reports (epoch ends are always reported). Default 250. */
  progressIntervalMs?: number
  /** Abort → train() rejects with LabError('cancelled') after the current step (a checkpoint, if set, is kept). */
  signal?: AbortSignal
  /** ORT intra-op threads; default one per core. */
  threads?: number
  /**
   * Optimizer steps per onnxruntime run (the state crosses the JS boundary once per run). Default 8
   * for networks without convolutions, 1 otherwise. Progress and cancellation act between runs.
   */
  stepsPerRun?: number
}

export interface TrainProgress {
  phase: 'train' | 'validate' | 'done'
  /** 1-based epoch. */
  epoch: number
  epochs: number
  /** Global optimizer step count, and the planned total. */
  step: number
  totalSteps: number
  /** Mean training loss over the epoch so far. */
  loss: number
  /** Last validation value of the monitored metric (NaN before the first validation). */
  valMetric: number
  monitor: string
  samplesPerSecond: number
  etaSeconds: number
}

export interface EpochRecord {
  epoch: number
  trainLoss: number
  learningRate: number
  /** Validation metrics, e.g. { loss, 'type.loss', 'type.accuracy', 'type.auc' }. Empty without validation. */
  val: Record<string, number>
  seconds: number
}

export interface TrainResult {
  weights: Weights
  /** Validation metrics of the returned weights, keys prefixed 'val.' (e.g. 'val.type.accuracy'). */
  metrics: Record<string, number>
  history: EpochRecord[]
  epochsRun: number
  bestEpoch: number
  stoppedEarly: boolean
  seconds: number
  samplesPerSecond: number
  trainCount: number
  valCount: number
  /** Per softmax/BCE head, per label: positive count in the training split. */
  classCounts: Record<string, Record<string, number>>
}
