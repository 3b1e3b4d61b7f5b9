/**
 * A network described as data: named inputs, a list of layers (each reading the previous layer's output
 * unless `from` says otherwise), and heads, each a layer's output with its loss. The same spec builds the
 * training graph, the evaluation graph and the exported inference model.
 */

/** One sample's shape without the batch dimension: [features] or [channels, height, width]. */
export type SampleShape = number[]

export interface InputSpec {
  name: string
  shape: SampleShape
}

interface LayerBase {
  /** Unique name; other layers and heads refer to it. Default `layer<index>`. */
  name?: string
  /** Input layer/input name(s). Default: the previous layer's output (the first input for layer 0). */
  from?: string
  /** Reuse the parameters of an earlier layer of the same type and configuration (a shared trunk). */
  shareWeightsWith?: string
}

/** y = x Wᵀ + b, W stored [units, inFeatures] like PyTorch's Linear. Input must be [batch, features]. */
export interface DenseLayer extends LayerBase {
  type: 'dense'
  units: number
  bias?: boolean
}

/** 2-D convolution over [batch, channels, h, w]; `groups: channels` is depthwise. */
export interface ConvLayer extends LayerBase {
  type: 'conv'
  filters: number
  kernel: number | [number, number]
  stride?: number | [number, number]
  /** Symmetric zero padding in pixels, or 'same' (stride 1, odd kernel). Default 0. */
  padding?: number | [number, number] | 'same'
  groups?: number
  bias?: boolean
}

/** Batch statistics while training; running statistics (PyTorch's momentum convention) in evaluation/export. */
export interface BatchNormLayer extends LayerBase {
  type: 'batchnorm'
  momentum?: number
  epsilon?: number
}

export interface PoolLayer extends LayerBase {
  type: 'maxpool' | 'avgpool'
  kernel: number | [number, number]
  /** Default: the kernel size. */
  stride?: number | [number, number]
  padding?: number | [number, number]
}

export interface ActivationLayer extends LayerBase {
  type: 'relu' | 'sigmoid' | 'tanh' | 'globalavgpool' | 'flatten' | 'softmax' | 'logsoftmax'
}

export interface LeakyReluLayer extends LayerBase {
  type: 'leakyrelu'
  alpha?: number
}

/** Drops activations while training (inverted dropout); the identity in evaluation/export. */
export interface DropoutLayer extends LayerBase {
  type: 'dropout'
  rate: number
}

export interface ReshapeLayer extends LayerBase {
  type: 'reshape'
  /** Per-sample target shape (no batch dimension). */
  shape: SampleShape
}

/** Several layers' outputs joined along the channel/feature axis (axis 1), or summed element-wise. */
export interface MergeLayer extends Omit<LayerBase, 'from'> {
  type: 'concat' | 'add'
  from: string[]
}

export type LayerSpec =
  | DenseLayer
  | ConvLayer
  | BatchNormLayer
  | PoolLayer
  | ActivationLayer
  | LeakyReluLayer
  | DropoutLayer
  | ReshapeLayer
  | MergeLayer

/** Softmax cross-entropy over the last axis; targets are class indices (-1 = no label, ignored). */
export interface SoftmaxCrossEntropyLoss {
  type: 'softmax-cross-entropy'
  /** Per-class weights (PyTorch semantics: weighted mean). Overrides `balance` for this head. */
  classWeights?: number[]
  labelSmoothing?: number
}

/** Independent sigmoid per output (multi-label); targets 0/1, NaN = missing label (masked out). */
export interface SigmoidBinaryCrossEntropyLoss {
  type: 'sigmoid-binary-cross-entropy'
  /** Per-output weight of positive examples (PyTorch's pos_weight). */
  positiveWeights?: number[]
}

/** Mean squared error against a float target of the head's shape (e.g. an autoencoder's input). */
export interface MeanSquaredErrorLoss {
  type: 'mean-squared-error'
}

export type LossSpec = SoftmaxCrossEntropyLoss | SigmoidBinaryCrossEntropyLoss | MeanSquaredErrorLoss

export interface HeadSpec {
  /** Also the name of this head's targets in the data and of its output in the exported model. */
  name: string
  /** The layer whose output is this head's logits (or reconstruction, for MSE). */
  from: string
  loss: LossSpec
  /** Weight of this head's loss in the summed training loss. Default 1. */
  weight?: number
  /** Names of the outputs (classes/findings), for metrics and the manifest. */
  labels?: string[]
}

export interface NetworkSpec {
  inputs: InputSpec[]
  layers: LayerSpec[]
  heads: HeadSpec[]
}
