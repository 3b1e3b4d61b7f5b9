/**
 * The converted MobileNetV2 against TensorFlow.js running the original Keras model (pure JS, CPU backend)
 * on the same real chest X-rays, plus the conversion's determinism and the registry's view of it.
 */
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import * as tfl from '@tensorflow/tfjs-layers'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { repoRoot, sourceResourcesDir } from '../../../main/app/paths'
import { readManifest, sharedDatasetsDir } from '../../../main/datasets/manifest'
import { readGreyImage } from '../../../main/imaging/read-image'
import { convertMobilenet, ensureMobilenet, mobilenetId, nsfwjsModelDir, type EnsureResult } from '../../../main/ml/backbone/mobilenet'
import { imagesToTensor } from '../../../main/ml/backbone/preprocess'
import { readNsfwjsModel } from '../../../main/ml/backbone/tfjs-weights'
import { ModelRegistry } from '../../../main/ml/registry/registry'
import { ModelRuntime, type TensorData } from '../../../main/ml/runtime/runtime'

const xray = path.join(sharedDatasetsDir(repoRoot), 'xray')

/** Largest absolute difference, and the largest reference magnitude (for a relative tolerance). */
function compare(ours: Float32Array, reference: Float32Array | Int32Array | Uint8Array): { maxDiff: number; maxRef: number } {
  assert.equal(ours.length, reference.length)
  let maxDiff = 0
  let maxRef = 0
  for (let i = 0; i < ours.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(ours[i] - reference[i]))
    maxRef = Math.max(maxRef, Math.abs(reference[i]))
  }
  return { maxDiff, maxRef }
}

describe('MobileNetV2 backbone converted from nsfwjs', () => {
  let built: EnsureResult
  const runtime = new ModelRuntime({ settings: async () => ({ preferredDevice: 'cpu', inferenceThreads: os.availableParallelism() }) })

  before(async () => {
    built = await ensureMobilenet(sourceResourcesDir)
  })
  after(() => runtime.releaseAll())

  it('converts deterministically: the same bytes every run, as its committed manifest records', async () => {
    const [a, b] = [await convertMobilenet(), await convertMobilenet()]
    assert.ok(Buffer.from(a.onnx).equals(Buffer.from(b.onnx)), 'two conversions differ')
    const onDisk = await readFile(built.modelFile)
    assert.equal(createHash('sha256').update(onDisk).digest('hex'), a.manifest.sha256)
    assert.deepEqual(a.manifest, built.manifest)
  })

  it('matches TensorFlow.js running the original Keras model on real X-rays, at block 10 and at the 1280-d pooling', async () => {
    const nih = await readManifest(path.join(xray, 'nih'), 'manifest.csv', ['file'])
    const files = [path.join(xray, 'nih', nih.rows[0]['file']), path.join(xray, 'samples', '16747_3_1.jpg')]
    const input = imagesToTensor(await Promise.all(files.map((f) => readGreyImage(f))), built.manifest.inputs[0])
    assert.deepEqual(input.dims, [2, 3, 224, 224])

    const session = await runtime.session({ path: built.modelFile })
    const ours = await session.run({ image: input })

    // Reference: tfjs-layers loads the same TF.js files nsfwjs ships and runs the Keras graph (NHWC).
    const model = await readNsfwjsModel(nsfwjsModelDir())
    await tf.setBackend('cpu')
    const weightData = model.weightData.buffer.slice(model.weightData.byteOffset, model.weightData.byteOffset + model.weightData.byteLength) as ArrayBuffer
    const keras = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: model.modelTopology as unknown as tf.io.ModelJSON['modelTopology'], weightSpecs: model.weightSpecs as tf.io.WeightsManifestEntry[], weightData }))
    const probe = tfl.model({
      inputs: keras.inputs,
      outputs: [keras.getLayer('block_10_project_BN').output as tfl.SymbolicTensor, keras.getLayer('out_relu').output as tfl.SymbolicTensor]
    })
    const nhwc = tf.transpose(tf.tensor4d(input.data as Float32Array, input.dims as [number, number, number, number]), [0, 2, 3, 1])
    const [block10, outRelu] = probe.predict(nhwc) as tf.Tensor4D[]
    const reference: Record<string, tf.Tensor> = {
      block10: tf.mean(block10, [1, 2]),
      features: tf.mean(outRelu, [1, 2]),
      block10_map: tf.transpose(block10, [0, 3, 1, 2]),
      features_map: tf.transpose(outRelu, [0, 3, 1, 2])
    }
    const expectedDims: Record<string, number[]> = { block10: [2, 96], features: [2, 1280], block10_map: [2, 96, 14, 14], features_map: [2, 1280, 7, 7] }
    for (const [name, ref] of Object.entries(reference)) {
      const out: TensorData = ours[name]
      assert.deepEqual(out.dims, expectedDims[name], name)
      const { maxDiff, maxRef } = compare(out.data as Float32Array, await ref.data())
      assert.ok(maxRef > 0.5, `${name}: the reference is not trivially small (${maxRef})`)
      // Float32 with batch norm folded vs unfolded: agreement to about 1e-5 of the values' range.
      assert.ok(maxDiff <= 1e-4 * Math.max(1, maxRef), `${name}: differs from TF.js by ${maxDiff} (values up to ${maxRef})`)
    }
    // The two images give different features (the input really reached the network).
    const f = ours['features'].data as Float32Array
    assert.ok(compare(f.subarray(0, 1280), f.subarray(1280)).maxDiff > 0.1)
    tf.dispose([nhwc, block10, outRelu, ...Object.values(reference)])
  })

  it('is listed by the registry as the shipped, active backbone whose graph matches its manifest', async () => {
    const registry = new ModelRegistry(path.join(os.tmpdir(), `lightbox-none-${process.pid}`), sourceResourcesDir, runtime)
    const backbone = await registry.active('backbone')
    assert.equal(backbone?.id, mobilenetId)
    const [summary] = (await registry.list()).filter((m) => m.id === mobilenetId)
    assert.equal(summary.source, 'shipped')
    assert.equal(summary.available, true)
    const { session } = await registry.session(mobilenetId)
    assert.deepEqual(session.describe().inputs, [{ name: 'image', dtype: 'float32', shape: ['batch', 3, 224, 224] }])
  })
})
