/**
 * Linear (softmax/sigmoid: the seeds' single-layer perceptron) and MLP heads, trained by Lightbox's own
 * training engine (main/ml/train) inside onnxruntime. Features are standardised for training (mean and
 * spread of the training split); the standardisation is folded into the first layer's weights, so the
 * exported head takes the backbone's raw features.
 */
import { LabError } from '../../errors'
import { exportModel } from '../export'
import { train, type NetworkSpec, type LayerSpec, type TrainData, type Weights } from '../train'
import type { HeadData, HeadTask, MlpOptions } from './spec'

export const defaultMlp: MlpOptions = { hidden: [256], dropout: 0.3 }

export function headNetwork(kind: 'linear' | 'mlp', dim: number, tasks: HeadTask[], mlp: MlpOptions = defaultMlp): NetworkSpec {
  const layers: LayerSpec[] = []
  let trunk = 'features'
  if (kind === 'mlp') {
    if (mlp.hidden.length === 0) throw new LabError('invalid_argument', 'An MLP head needs at least one hidden layer.')
    mlp.hidden.forEach((units, i) => {
      layers.push({ type: 'dense', units, name: `hidden${i}`, from: trunk })
      layers.push({ type: 'relu', name: `relu${i}` })
      if (mlp.dropout > 0) layers.push({ type: 'dropout', rate: mlp.dropout, name: `dropout${i}` })
      trunk = mlp.dropout > 0 ? `dropout${i}` : `relu${i}`
    })
  }
  for (const task of tasks) layers.push({ type: 'dense', units: task.labels.length, name: `${task.name}_logits`, from: trunk })
  return {
    inputs: [{ name: 'features', shape: [dim] }],
    layers,
    heads: tasks.map((task) => ({
      name: task.name,
      from: `${task.name}_logits`,
      loss: task.type === 'softmax' ? { type: 'softmax-cross-entropy' } : { type: 'sigmoid-binary-cross-entropy' },
      labels: task.labels
    }))
  }
}

export interface Standardisation {
  mean: Float32Array
  std: Float32Array
}

export function standardisation(data: HeadData): Standardisation {
  const { dim, count, features } = data
  const mean = new Float64Array(dim)
  const sq = new Float64Array(dim)
  for (let i = 0; i < count; i++)
    for (let k = 0; k < dim; k++) {
      const v = features[i * dim + k]
      mean[k] += v
      sq[k] += v * v
    }
  const std = new Float32Array(dim)
  for (let k = 0; k < dim; k++) {
    mean[k] /= count
    // Constant features (common after ReLU6) keep a unit spread rather than dividing by zero.
    std[k] = Math.sqrt(Math.max(sq[k] / count - mean[k] * mean[k], 0)) || 1
  }
  return { mean: Float32Array.from(mean), std }
}

function standardise(data: HeadData, s: Standardisation): Float32Array {
  const out = new Float32Array(data.features.length)
  for (let i = 0; i < data.count; i++)
    for (let k = 0; k < data.dim; k++) out[i * data.dim + k] = (data.features[i * data.dim + k] - s.mean[k]) / s.std[k]
  return out
}

/** Layers that read the raw features: the standardisation folds into them. */
function firstLayers(spec: NetworkSpec): string[] {
  return spec.layers.filter((l) => l.type === 'dense' && l.from === 'features').map((l) => l.name!)
}

/** W' = W / σ (per input), b' = b − W'·μ: the same outputs from unstandardised features. */
export function foldStandardisation(spec: NetworkSpec, weights: Weights, s: Standardisation): Weights {
  const out: Weights = { ...weights }
  for (const layer of firstLayers(spec)) {
    const w = weights[`${layer}.weight`]
    const b = weights[`${layer}.bias`]
    const [units, dim] = w.shape
    const wf = new Float32Array(w.data.length)
    const bf = Float32Array.from(b.data)
    for (let o = 0; o < units; o++) {
      let shift = 0
      for (let k = 0; k < dim; k++) {
        wf[o * dim + k] = w.data[o * dim + k] / s.std[k]
        shift += wf[o * dim + k] * s.mean[k]
      }
      bf[o] -= shift
    }
    out[`${layer}.weight`] = { shape: w.shape, data: wf }
    out[`${layer}.bias`] = { shape: b.shape, data: bf }
  }
  return out
}

function trainData(data: HeadData, features: Float32Array): TrainData {
  return { count: data.count, inputs: { features }, targets: data.targets }
}

export interface NetworkHead {
  spec: NetworkSpec
  /** Weights for raw (unstandardised) features. */
  weights: Weights
  metrics: Record<string, number>
  epochs: number
  seconds: number
  hyperparameters: Record<string, number | string | boolean>
}

export async function trainNetworkHead(
  kind: 'linear' | 'mlp',
  tasks: HeadTask[],
  trainSet: HeadData,
  valSet: HeadData,
  options: { mlp?: MlpOptions; epochs?: number; seed?: number; threads?: number; signal?: AbortSignal; onEpoch?: (epoch: number, epochs: number) => void } = {}
): Promise<NetworkHead> {
  const spec = headNetwork(kind, trainSet.dim, tasks, options.mlp)
  const s = standardisation(trainSet)
  const epochs = options.epochs ?? 60
  const batchSize = Math.max(8, Math.min(64, Math.floor(trainSet.count / 8)))
  const learningRate = kind === 'linear' ? 3e-3 : 1e-3
  const weightDecay = kind === 'linear' ? 5e-2 : 1e-2
  // One task: keep the epoch with the best validation AUC; several: the lowest summed validation loss.
  const monitor = tasks.length === 1 ? `${tasks[0].name}.auc` : 'loss'
  const result = await train({
    network: spec,
    data: trainData(trainSet, standardise(trainSet, s)),
    validation: { data: trainData(valSet, standardise(valSet, s)) },
    epochs,
    batchSize,
    optimizer: { type: 'adamw', learningRate, weightDecay },
    schedule: { type: 'cosine' },
    balance: 'weights',
    monitor,
    earlyStopping: { patience: 12 },
    seed: options.seed ?? 1,
    threads: options.threads,
    signal: options.signal,
    onProgress: (p) => {
      if (p.phase === 'validate') options.onEpoch?.(p.epoch, p.epochs)
    }
  })
  return {
    spec,
    weights: foldStandardisation(spec, result.weights, s),
    metrics: result.metrics,
    epochs: result.epochsRun,
    seconds: result.seconds,
    hyperparameters: {
      ...(kind === 'mlp' ? { hidden: (options.mlp ?? defaultMlp).hidden.join('×'), dropout: (options.mlp ?? defaultMlp).dropout } : {}),
      epochs,
      bestEpoch: result.bestEpoch,
      batchSize,
      optimizer: 'adamw',
      learningRate,
      weightDecay,
      schedule: 'cosine',
      balance: 'weights',
      monitor
    }
  }
}

/**
 * The trained head as a self-contained ONNX inference graph (probabilities out, raw features in), made by
 * the training engine's exporter (which also runs it once). The registry manifest is written by
 * heads/manifest.ts, the same for every kind of head.
 */
export async function networkHeadOnnx(head: NetworkHead): Promise<Uint8Array> {
  const exported = await exportModel(head.spec, head.weights, { name: 'head', version: '0', parent: null, task: 'classification' })
  return exported.onnx
}
