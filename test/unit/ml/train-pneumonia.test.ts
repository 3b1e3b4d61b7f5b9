/**
 * End to end: a small CNN trained inside onnxruntime on PneumoniaMNIST (28×28) reaches a test AUC of at
 * least 0.93 on the official test split (Kermany pediatric test set: 234 normal, 390 pneumonia).
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import { describe, it } from 'node:test'
import { repoRoot } from '../../../main/app/paths'
import { sharedDatasetsDir } from '../../../main/datasets/manifest'
import { readNpz, type NpyArray } from '../../../main/datasets/npz'
import { evaluate, train, type NetworkSpec } from '../../../main/ml/train'

const NPZ = path.join(sharedDatasetsDir(repoRoot), 'xray', 'pneumoniamnist', 'pneumoniamnist.npz')

function split(images: NpyArray, labels: NpyArray) {
  const pixels = images.data as Uint8Array
  const x = new Float32Array(pixels.length)
  for (let i = 0; i < pixels.length; i++) x[i] = pixels[i] / 255 - 0.5
  return { count: images.shape[0], inputs: { image: x }, targets: { finding: Int32Array.from(labels.data as Uint8Array) } }
}

export const pneumoniaCnn: NetworkSpec = {
  inputs: [{ name: 'image', shape: [1, 28, 28] }],
  layers: [
    { type: 'conv', filters: 16, kernel: 3, padding: 1, bias: false },
    { type: 'batchnorm' },
    { type: 'relu' },
    { type: 'maxpool', kernel: 2 },
    { type: 'conv', filters: 32, kernel: 3, padding: 1, bias: false },
    { type: 'batchnorm' },
    { type: 'relu' },
    { type: 'maxpool', kernel: 2 },
    { type: 'conv', filters: 64, kernel: 3, padding: 1, bias: false },
    { type: 'batchnorm' },
    { type: 'relu' },
    { type: 'globalavgpool' },
    { type: 'dense', units: 2, name: 'logits' }
  ],
  heads: [{ name: 'finding', from: 'logits', loss: { type: 'softmax-cross-entropy' }, labels: ['normal', 'pneumonia'] }]
}

describe('PneumoniaMNIST', () => {
  it('a small CNN reaches test AUC ≥ 0.93 on the official test split', async () => {
    const npz = await readNpz(NPZ)
    const trainSet = split(npz.train_images, npz.train_labels)
    const valSet = split(npz.val_images, npz.val_labels)
    const testSet = split(npz.test_images, npz.test_labels)
    const started = performance.now()
    const result = await train({
      network: pneumoniaCnn,
      data: trainSet,
      validation: { data: valSet },
      epochs: 6,
      batchSize: 64,
      seed: 5,
      optimizer: { type: 'adamw', learningRate: 3e-3, weightDecay: 1e-4 },
      schedule: { type: 'cosine' },
      balance: 'weights',
      monitor: 'finding.auc'
    })
    const test = await evaluate(pneumoniaCnn, result.weights, testSet)
    const seconds = (performance.now() - started) / 1000
    console.log(`PneumoniaMNIST: test AUC ${test['finding.auc'].toFixed(4)}, accuracy ${test['finding.accuracy'].toFixed(4)}, best epoch ${result.bestEpoch}/${result.epochsRun}, ${seconds.toFixed(1)} s`)
    assert.ok(test['finding.auc'] >= 0.93, `test AUC ${test['finding.auc']}`)
  })
})
