/** End to end: an MLP trained inside onnxruntime separates two interleaved spirals (≥ 99% on fresh points). */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { evaluate, train, type NetworkSpec } from '../../../main/ml/train'
import { Random } from '../../../main/ml/train/random'

/** Two spirals of 1.75 turns, one per class, with a little noise. */
export function twoSpirals(count: number, seed: number) {
  const random = new Random(seed)
  const xy = new Float32Array(count * 2)
  const label = new Int32Array(count)
  for (let i = 0; i < count; i++) {
    const c = i % 2
    const t = Math.sqrt(random.next()) * 1.75
    const angle = t * 2 * Math.PI + c * Math.PI
    const r = 0.1 + t * 0.5
    xy[2 * i] = r * Math.cos(angle) + (random.next() - 0.5) * 0.02
    xy[2 * i + 1] = r * Math.sin(angle) + (random.next() - 0.5) * 0.02
    label[i] = c
  }
  return { xy, label }
}

describe('two spirals', () => {
  it('an MLP reaches ≥ 99% accuracy on held-out points', async () => {
    const network: NetworkSpec = {
      inputs: [{ name: 'xy', shape: [2] }],
      layers: [{ type: 'dense', units: 64 }, { type: 'tanh' }, { type: 'dense', units: 64 }, { type: 'tanh' }, { type: 'dense', units: 2, name: 'logits' }],
      heads: [{ name: 'side', from: 'logits', loss: { type: 'softmax-cross-entropy' } }]
    }
    const trainSet = twoSpirals(2000, 1)
    const testSet = twoSpirals(1000, 2)
    const result = await train({
      network,
      data: { count: 2000, inputs: { xy: trainSet.xy }, targets: { side: trainSet.label } },
      validation: { fraction: 0.1 },
      epochs: 120,
      batchSize: 50,
      seed: 3,
      optimizer: { type: 'adamw', learningRate: 0.01, weightDecay: 0 },
      schedule: { type: 'cosine' },
      monitor: 'side.accuracy',
      earlyStopping: { patience: 30 }
    })
    const test = await evaluate(network, result.weights, { count: 1000, inputs: { xy: testSet.xy }, targets: { side: testSet.label } })
    assert.ok(test['side.accuracy'] >= 0.99, `held-out accuracy ${test['side.accuracy']} after ${result.epochsRun} epochs`)
  })
})
