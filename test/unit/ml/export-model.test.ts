/**
 * Export: a trained CNN with batchnorm and dropout becomes a plain inference ONNX (no training nodes,
 * running statistics as initializers) whose outputs match predict(), plus a manifest that validates.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { LabError } from '../../../main/errors'
import { exportModel, writeModel } from '../../../main/ml/export'
import { decodeModel } from '../../../main/ml/graph/proto'
import { manifestSchema } from '../../../main/ml/registry/manifest'
import { createSession, loadOrt } from '../../../main/ml/runtime/ort'
import { predict, train, type NetworkSpec } from '../../../main/ml/train'
import { Random } from '../../../main/ml/train/random'

const network: NetworkSpec = {
  inputs: [{ name: 'image', shape: [1, 12, 12] }],
  layers: [
    { type: 'conv', filters: 6, kernel: 3, padding: 'same', name: 'c1' },
    { type: 'batchnorm', name: 'bn1' },
    { type: 'relu' },
    { type: 'maxpool', kernel: 2 },
    { type: 'conv', filters: 6, kernel: 3, groups: 6, name: 'dw' },
    { type: 'leakyrelu', alpha: 0.1 },
    { type: 'globalavgpool', name: 'pooled' },
    { type: 'dropout', rate: 0.3 },
    { type: 'dense', units: 3, name: 'logits' }
  ],
  heads: [{ name: 'shape', from: 'logits', loss: { type: 'softmax-cross-entropy' }, labels: ['dark', 'light', 'striped'] }]
}

function images(count: number, seed: number) {
  const r = new Random(seed)
  const x = new Float32Array(count * 144)
  const y = new Int32Array(count)
  for (let i = 0; i < count; i++) {
    y[i] = i % 3
    for (let p = 0; p < 144; p++) {
      const base = y[i] === 0 ? 0.2 : y[i] === 1 ? 0.8 : Math.floor(p / 12) % 2
      x[i * 144 + p] = base + (r.next() - 0.5) * 0.3
    }
  }
  return { count, inputs: { image: x }, targets: { shape: y } }
}

describe('export', () => {
  it('writes an inference-only ONNX and a valid manifest; outputs match predict()', async () => {
    const result = await train({ network, data: images(300, 1), epochs: 3, batchSize: 30, optimizer: { type: 'adamw', learningRate: 0.01 }, threads: 1 })
    const model = await exportModel(network, result.weights, {
      name: 'test-shapes',
      version: '1.0.0',
      parent: null,
      task: 'classification',
      inputs: { image: { normalisation: { scale: 255, mean: [0], std: [1] } } },
      extraOutputs: ['pooled'],
      training: result,
      datasets: [{ name: 'synthetic', samples: 300 }],
      hyperparameters: { epochs: 3 },
      metrics: { 'test.accuracy': 1 }
    })
    manifestSchema.parse(model.manifest)
    assert.equal(model.manifest.sha256, createHash('sha256').update(model.onnx).digest('hex'))
    assert.deepEqual(model.manifest.inputs[0].shape, ['batch', 1, 12, 12])
    assert.equal(model.manifest.inputs[0].layout, 'NCHW')
    assert.deepEqual(model.manifest.inputs[0].size, { width: 12, height: 12 })
    assert.deepEqual(
      model.manifest.outputs.map((o) => [o.name, o.kind, o.activation]),
      [
        ['shape', 'probabilities', 'softmax'],
        ['pooled', 'features', undefined]
      ]
    )
    assert.deepEqual(model.manifest.labels, ['dark', 'light', 'striped'])
    assert.equal(model.manifest.training!.epochs, 3)
    assert.equal(model.manifest.metrics['test.accuracy'], 1)
    assert.ok(Number.isFinite(model.manifest.metrics['val.loss']))

    const proto = decodeModel(model.onnx)
    const ops = new Set(proto.graph!.node!.map((n) => n.opType))
    for (const training of ['Dropout', 'ConvTranspose', 'FusedMatMul', 'MaxUnpool', 'ReduceSumSquare']) assert.ok(!ops.has(training), `${training} left in the exported graph`)
    assert.ok(ops.has('BatchNormalization'))
    assert.deepEqual(proto.graph!.input!.map((i) => i.name), ['image'])
    const init = new Map(proto.graph!.initializer!.map((t) => [t.name!, t]))
    const rv = init.get('bn1.runningVar')!
    const stored = new Float32Array(Uint8Array.from(rv.rawData!).buffer)
    assert.deepEqual([...stored], [...result.weights['bn1.runningVar'].data])
    assert.ok(stored.some((v) => Math.abs(v - 1) > 1e-3), 'running variance was updated during training')

    // The exported model, run as an ordinary inference session, gives predict()'s scores.
    const test = images(20, 2)
    const expected = (await predict(network, result.weights, test)).shape
    const ort = await loadOrt()
    const session = await createSession(model.onnx, { threads: 1 })
    const out = await session.run({ image: new ort.Tensor('float32', test.inputs.image, [20, 1, 12, 12]) })
    await session.release()
    const got = out.shape.data as Float32Array
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - expected[i]) < 1e-6)
    assert.deepEqual(out.pooled.dims, [20, 6])

    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'lightbox-export-')), 'test-shapes', '1.0.0')
    const files = await writeModel(dir, model)
    assert.deepEqual(JSON.parse(readFileSync(files.manifest, 'utf8')), JSON.parse(JSON.stringify(model.manifest)))
    assert.equal(readFileSync(files.model).length, model.onnx.length)
    await assert.rejects(writeModel(dir, model), (e: unknown) => e instanceof LabError && e.code === 'conflict')
  })

  it('refuses weights that do not fit the network and a manifest that does not validate', async () => {
    const result = { 'c1.weight': { shape: [6, 1, 3, 3], data: new Float32Array(5) } }
    await assert.rejects(exportModel(network, result, { name: 'x', version: '1', parent: null, task: 'other' }), /"c1.weight" has 5 values/)
    const weights = (await import('../../../main/ml/train')).initWeights(network, 1)
    await assert.rejects(exportModel(network, weights, { name: 'Not Valid', version: '1', parent: null, task: 'other' }), /manifest is not valid: name/)
  })
})
