/**
 * The seed's autoencoder: three hidden layers (wide → code → wide) trained by the training engine to
 * reproduce its (standardised) input with a mean-squared error; the middle layer's activations are the
 * "reproductive" features, learned without labels, that the classifiers then use.
 */
import type { HeadData } from '../../ml/heads'
import { standardisation, type Standardisation } from '../../ml/heads/network'
import { predict, train, type NetworkSpec, type Weights } from '../../ml/train'

export interface AutoencoderOptions {
  /** Units of the three hidden layers, e.g. [512, 128, 512]; the middle one is the code. */
  hidden?: [number, number, number]
  epochs?: number
  seed?: number
}

export interface Autoencoder {
  spec: NetworkSpec
  weights: Weights
  standardisation: Standardisation
  codeSize: number
  /** Validation reconstruction error (MSE on standardised features) of the returned weights. */
  valLoss: number
  epochs: number
}

function standardised(rows: Float32Array[], s: Standardisation): Float32Array {
  const dim = s.mean.length
  const out = new Float32Array(rows.length * dim)
  rows.forEach((r, i) => {
    for (let d = 0; d < dim; d++) out[i * dim + d] = (r[d] - s.mean[d]) / s.std[d]
  })
  return out
}

export async function trainAutoencoder(trainRows: Float32Array[], valRows: Float32Array[], o: AutoencoderOptions = {}): Promise<Autoencoder> {
  const [h1, code, h3] = o.hidden ?? [512, 128, 512]
  const dim = trainRows[0].length
  const flat = new Float32Array(trainRows.length * dim)
  trainRows.forEach((r, i) => flat.set(r, i * dim))
  const data: HeadData = { count: trainRows.length, dim, features: flat, targets: {} }
  const s = standardisation(data)
  const spec: NetworkSpec = {
    inputs: [{ name: 'features', shape: [dim] }],
    layers: [
      { type: 'dense', units: h1, name: 'enc1' },
      { type: 'relu', name: 'enc1_relu' },
      { type: 'dense', units: code, name: 'code' },
      { type: 'relu', name: 'code_relu' },
      { type: 'dense', units: h3, name: 'dec1' },
      { type: 'relu', name: 'dec1_relu' },
      { type: 'dense', units: dim, name: 'reconstruction' }
    ],
    heads: [{ name: 'reconstruction', from: 'reconstruction', loss: { type: 'mean-squared-error' } }]
  }
  const x = standardised(trainRows, s)
  const v = standardised(valRows, s)
  const result = await train({
    network: spec,
    data: { count: trainRows.length, inputs: { features: x }, targets: { reconstruction: x } },
    validation: { data: { count: valRows.length, inputs: { features: v }, targets: { reconstruction: v } } },
    epochs: o.epochs ?? 80,
    batchSize: 32,
    optimizer: { type: 'adamw', learningRate: 1e-3, weightDecay: 1e-4 },
    schedule: { type: 'cosine' },
    earlyStopping: { patience: 10 },
    seed: o.seed ?? 1
  })
  return { spec, weights: result.weights, standardisation: s, codeSize: code, valLoss: result.metrics['val.loss'], epochs: result.epochsRun }
}

/** The code (middle layer after its ReLU) of each row. */
export async function encode(ae: Autoencoder, rows: Float32Array[]): Promise<Float32Array[]> {
  const encoder: NetworkSpec = {
    inputs: ae.spec.inputs,
    layers: ae.spec.layers.slice(0, 4),
    heads: [{ name: 'code', from: 'code_relu', loss: { type: 'mean-squared-error' } }]
  }
  const weights = Object.fromEntries(Object.entries(ae.weights).filter(([k]) => k.startsWith('enc1.') || k.startsWith('code.')))
  const out = (await predict(encoder, weights, { count: rows.length, inputs: { features: standardised(rows, ae.standardisation) } }))['code']
  return rows.map((_, i) => out.slice(i * ae.codeSize, (i + 1) * ae.codeSize))
}
