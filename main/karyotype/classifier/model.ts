/**
 * The chromosome classifier as a network spec (data, built by the project's training engine):
 *
 *   global view ─ trunk G ─┐
 *   upper view  ─ trunk L ─┤                       ┌─ MLP → type (24: 1–22, X, Y)
 *   lower view  ─ trunk L ─┼─ concat ─ dropout ───┤
 *   features ─ dense ──────┘                       └─ MLP → polarity (p-arm down)
 *
 * Each trunk is a small VGG-style CNN (a strided 4×4 stem, then 3×3 conv, batchnorm, ReLU and 2×2
 * max-pool per stage) ending in a flatten, so band positions along the chromosome survive into the heads. The two local views share
 * their trunk's convolutions (the same band detectors for either arm; batchnorm stays per view, as the
 * engine requires). The cell-relative measurements (features.ts) get their own small dense layer
 * before joining, so a handful of numbers are not drowned by thousands of pixel features.
 */
import type { HeadSpec, LayerSpec, NetworkSpec } from '../../ml/train'
import { chromosomeTypes } from '../types'
import { featureCount } from './features'
import type { ViewConfig } from './views'

export interface ClassifierArchitecture {
  /** Filters per trunk stage (one 3×3 conv + 2×2 pool each). */
  channels: number[]
  /** Optional first layer: a strided convolution that halves the views before the stages (cheaper). */
  stem?: { filters: number; kernel: number; stride: number }
  /** Units of the features' own dense layer. */
  featureUnits: number
  typeHidden: number
  polarityHidden: number
  dropout: number
}

/** Measured on the 2-core build machine: the strided stem halves training time against a full-resolution first stage. */
export const defaultArchitecture: ClassifierArchitecture = {
  stem: { filters: 16, kernel: 4, stride: 2 },
  channels: [32, 48, 64],
  featureUnits: 32,
  typeHidden: 256,
  polarityHidden: 64,
  dropout: 0.3
}

/** Graph input and output names, shared by training, export and inference. */
export const inputNames = { global: 'global', upper: 'upper', lower: 'lower', features: 'features' } as const
export const outputNames = { type: 'type', polarity: 'polarity' } as const
export const polarityLabel = 'p-arm down'

function trunk(input: string, prefix: string, a: ClassifierArchitecture, shareWith?: string): LayerSpec[] {
  const layers: LayerSpec[] = []
  let from = input
  if (a.stem) {
    const { filters, kernel, stride } = a.stem
    layers.push(
      { name: `${prefix}stem`, from, type: 'conv', filters, kernel, stride, padding: (kernel - stride + 1) >> 1, bias: false, shareWeightsWith: shareWith ? `${shareWith}stem` : undefined },
      { name: `${prefix}stembn`, type: 'batchnorm' },
      { name: `${prefix}stemrelu`, type: 'relu' }
    )
    from = `${prefix}stemrelu`
  }
  a.channels.forEach((filters, i) => {
    layers.push(
      { name: `${prefix}conv${i}`, from, type: 'conv', filters, kernel: 3, padding: 1, bias: false, shareWeightsWith: shareWith ? `${shareWith}conv${i}` : undefined },
      { name: `${prefix}bn${i}`, type: 'batchnorm' },
      { name: `${prefix}relu${i}`, type: 'relu' },
      { name: `${prefix}pool${i}`, type: 'maxpool', kernel: 2 }
    )
    from = `${prefix}pool${i}`
  })
  layers.push({ name: `${prefix}flat`, type: 'flatten' })
  return layers
}

/** Loss settings: they shape training only (not the weights' shapes), so a continued run may change them. */
export interface LossSettings {
  typeLabelSmoothing: number
  polarityWeight: number
}

export const defaultLossSettings: LossSettings = { typeLabelSmoothing: 0.05, polarityWeight: 0.5 }

export function classifierNetwork(views: ViewConfig, a: ClassifierArchitecture = defaultArchitecture, loss: LossSettings = defaultLossSettings): NetworkSpec {
  const layers: LayerSpec[] = [
    ...trunk(inputNames.global, 'g_', a),
    ...trunk(inputNames.upper, 'u_', a),
    ...trunk(inputNames.lower, 'l_', a, 'u_'),
    { name: 'f_dense', from: inputNames.features, type: 'dense', units: a.featureUnits },
    { name: 'f_relu', type: 'relu' },
    { name: 'joined', type: 'concat', from: ['g_flat', 'u_flat', 'l_flat', 'f_relu'] },
    { name: 'joined_drop', type: 'dropout', rate: a.dropout },
    { name: 't_hidden', from: 'joined_drop', type: 'dense', units: a.typeHidden },
    { name: 't_relu', type: 'relu' },
    { name: 't_drop', type: 'dropout', rate: a.dropout },
    { name: 't_logits', type: 'dense', units: chromosomeTypes.length },
    { name: 'p_hidden', from: 'joined_drop', type: 'dense', units: a.polarityHidden },
    { name: 'p_relu', type: 'relu' },
    { name: 'p_logit', type: 'dense', units: 1 }
  ]
  const heads: HeadSpec[] = [
    { name: outputNames.type, from: 't_logits', loss: { type: 'softmax-cross-entropy', labelSmoothing: loss.typeLabelSmoothing }, labels: [...chromosomeTypes] },
    { name: outputNames.polarity, from: 'p_logit', loss: { type: 'sigmoid-binary-cross-entropy' }, weight: loss.polarityWeight, labels: [polarityLabel] }
  ]
  return {
    inputs: [
      { name: inputNames.global, shape: [1, views.global.height, views.global.width] },
      { name: inputNames.upper, shape: [1, views.local.height, views.local.width] },
      { name: inputNames.lower, shape: [1, views.local.height, views.local.width] },
      { name: inputNames.features, shape: [featureCount] }
    ],
    layers,
    heads
  }
}
