/**
 * How X-ray heads become one shipped graph: the ensemble of cross-validation heads equals the calibrated
 * mean of its members' logits (linear members collapse to one layer), the gradient outputs written by the
 * training engine's autodiff match finite differences, and the feature network (the backbone cut at
 * block 10, pooled, mirror-averaged) computes what it says.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { sourceResourcesDir } from '../../../main/app/paths'
import { LabError } from '../../../main/errors'
import type { HeadTask } from '../../../main/ml/heads'
import { headNetwork } from '../../../main/ml/heads/network'
import { createSession, loadOrt } from '../../../main/ml/runtime/ort'
import { initWeights, predict } from '../../../main/ml/train'
import { defaultFeatureSpec, featureNetworkOnnx } from '../../../main/xray/findings/feature-network'
import { ensembleNetwork, headGraphWithGradients, type HeadMember } from '../../../main/xray/findings/head-graph'

const tasks: HeadTask[] = [
  { name: 'findings', type: 'sigmoid', labels: ['A', 'B', 'C'] },
  { name: 'abnormal', type: 'sigmoid', labels: ['Abnormal'] }
]
const dim = 12
const count = 5
const features = Float32Array.from({ length: count * dim }, (_, i) => Math.sin(i * 1.7) * 2)
const logit = (p: number) => Math.log(p / (1 - p))

function members(kind: 'linear' | 'mlp', k: number): HeadMember[] {
  const spec = headNetwork(kind, dim, tasks, { hidden: [8], dropout: 0.3 })
  return Array.from({ length: k }, (_, i) => ({ spec, weights: initWeights(spec, 10 + i) }))
}

async function logits(m: HeadMember): Promise<Record<string, number[]>> {
  const p = await predict(m.spec, m.weights, { count, inputs: { features } })
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Array.from(v, logit)]))
}

describe('ensembleNetwork', () => {
  for (const kind of ['linear', 'mlp'] as const) {
    it(`${kind}: the calibrated mean of the members' logits`, async () => {
      const ms = members(kind, 3)
      const calibration = { findings: { a: [0.5, 2, 1], b: [0.1, -0.3, 0] }, abnormal: { a: [1.5], b: [0.25] } }
      const ensemble = ensembleNetwork(ms, calibration)
      const got = await logits(ensemble)
      const each = await Promise.all(ms.map(logits))
      for (const t of tasks) {
        const k = t.labels.length
        for (let i = 0; i < count * k; i++) {
          const mean = each.reduce((s, e) => s + e[t.name][i], 0) / ms.length
          const want = calibration[t.name as 'findings'].a[i % k] * mean + calibration[t.name as 'findings'].b[i % k]
          assert.ok(Math.abs(got[t.name][i] - want) < 2e-3, `${t.name}[${i}]: ${got[t.name][i]} vs ${want}`)
        }
      }
      if (kind === 'linear') assert.equal(ensemble.spec.layers.length, 2, 'linear members collapse into one layer per head')
    })
  }

  it('refuses members of different architectures', () => {
    assert.throws(() => ensembleNetwork([...members('linear', 1), ...members('mlp', 1)]), LabError)
  })
})

describe('headGraphWithGradients', () => {
  it('gives d logit / d features that match finite differences (MLP head)', async () => {
    const [m] = members('mlp', 1)
    const reference = Float32Array.from({ length: dim }, (_, i) => i / 10)
    const onnx = headGraphWithGradients(m, reference).toModelBytes()
    const ort = await loadOrt()
    const session = await createSession(onnx, { threads: 1 })
    const run = async (x: Float32Array) => session.run({ features: new ort.Tensor('float32', x, [1, dim]) })
    const x = features.slice(0, dim)
    const out = await run(x)
    assert.deepEqual(Array.from(out['features.mean'].data as Float32Array), Array.from(reference))
    assert.deepEqual(out['findings.gradient'].dims, [1, 3, dim])
    const eps = 1e-2
    for (const [head, k] of [['findings', 3], ['abnormal', 1]] as const) {
      const grad = out[`${head}.gradient`].data as Float32Array
      for (let d = 0; d < dim; d++) {
        const up = Float32Array.from(x)
        const down = Float32Array.from(x)
        up[d] += eps
        down[d] -= eps
        const [pu, pd] = [(await run(up))[head].data as Float32Array, (await run(down))[head].data as Float32Array]
        for (let j = 0; j < k; j++) {
          const numeric = (logit(pu[j]) - logit(pd[j])) / (2 * eps)
          assert.ok(Math.abs(numeric - grad[j * dim + d]) < 2e-2 * Math.max(1, Math.abs(numeric)), `${head}[${j}] d${d}: ${grad[j * dim + d]} vs ${numeric}`)
        }
      }
    }
    await session.release()
  })
})

describe('featureNetworkOnnx on the shipped backbone', () => {
  const backbone = readFileSync(path.join(sourceResourcesDir, 'models', 'mobilenet-v2', 'model.onnx'))
  const manifest = JSON.parse(readFileSync(path.join(sourceResourcesDir, 'models', 'mobilenet-v2', 'manifest.json'), 'utf8')) as { name: string; version: string }

  it('pools each tapped layer, averages the image with its mirror, and a mirrored image gets the same features', async () => {
    const spec = defaultFeatureSpec(manifest)
    const net = featureNetworkOnnx(backbone, spec)
    assert.equal(net.dim, net.taps.reduce((s, t) => s + t.channels, 0))
    const ort = await loadOrt()
    const session = await createSession(net.onnx, { threads: 2 })
    const size = 3 * 224 * 224
    const image = Float32Array.from({ length: size }, (_, i) => ((i * 2654435761) % 1000) / 1000)
    const mirrored = new Float32Array(size)
    for (let c = 0; c < 3; c++) for (let y = 0; y < 224; y++) for (let x = 0; x < 224; x++) mirrored[c * 50176 + y * 224 + x] = image[c * 50176 + y * 224 + 223 - x]
    const batch = new Float32Array(2 * size)
    batch.set(image)
    batch.set(mirrored, size)
    const out = await session.run({ image: new ort.Tensor('float32', batch, [2, 3, 224, 224]) })
    const f = out['features'].data as Float32Array
    assert.deepEqual(out['features'].dims, [2, net.dim])
    let worst = 0
    for (let d = 0; d < net.dim; d++) worst = Math.max(worst, Math.abs(f[d] - f[net.dim + d]))
    assert.ok(worst < 1e-4, `mirror invariance: ${worst}`)
    // features = mean over (image, its mirror) of each tapped map's global average, in tap order.
    let offset = 0
    for (const tap of net.taps) {
      const map = out[`map:${tap.name}`]
      const [rows, c, h, w] = map.dims as number[]
      assert.equal(rows, 4, 'two images and their mirrors')
      const data = map.data as Float32Array
      for (const channel of [0, c - 1]) {
        const mean = (row: number) => data.subarray((row * c + channel) * h * w, (row * c + channel + 1) * h * w).reduce((a, b) => a + b, 0) / (h * w)
        const want = (mean(0) + mean(2)) / 2
        assert.ok(Math.abs(f[offset + channel] - want) < 1e-4 * Math.max(1, Math.abs(want)), `${tap.name}[${channel}]`)
      }
      offset += c
    }
    await session.release()
  })

  it('refuses layers the backbone does not have', () => {
    assert.throws(() => featureNetworkOnnx(backbone, { ...defaultFeatureSpec(manifest), taps: ['block_99_depthwise'] }), (e: unknown) => e instanceof LabError && /block_99_depthwise/.test(e.message))
  })
})
