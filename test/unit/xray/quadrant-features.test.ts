/**
 * The seed's quadrant pipeline: an image is cut into four equal quadrants that together are the image
 * (odd sizes included), each goes through the feature network, and the autoencoder learns a code from
 * which it reconstructs data with low-dimensional structure far better than the data's own spread.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import { describe, it } from 'node:test'
import { createGrey } from '../../../main/imaging/raster'
import { ModelRegistry } from '../../../main/ml/registry/registry'
import { xrayFeatureNetwork } from '../../../main/xray/findings/train-xray'
import { encode, trainAutoencoder } from '../../../main/xray/quadrant/autoencoder'
import { quadrantFeatures, quadrants } from '../../../main/xray/quadrant/quadrants'
import { sourceResourcesDir } from '../../../main/app/paths'
import { computeFeatures } from '../../../main/xray/findings/features'
import { cpuRuntime, freshDataDir, nihDir } from './findings-helpers'

describe('quadrants', () => {
  it('are four equal parts that tile the image, odd sizes included', () => {
    const w = 7
    const h = 5
    const image = createGrey(w, h, Uint8Array.from({ length: w * h }, (_, i) => i))
    const q = quadrants(image)
    assert.deepEqual(q.map((r) => [r.width, r.height]), [[3, 2], [4, 2], [3, 3], [4, 3]])
    assert.deepEqual(Array.from(q[0].data), [0, 1, 2, 7, 8, 9])
    assert.equal(q[3].data[0], 2 * w + 3)
    const all = q.flatMap((r) => Array.from(r.data)).sort((a, b) => a - b)
    assert.deepEqual(all, Array.from(image.data))
  })

  it('quadrant features are the four quadrants through the feature network, concatenated', async () => {
    const runtime = cpuRuntime()
    const net = await xrayFeatureNetwork({ registry: new ModelRegistry(freshDataDir(), sourceResourcesDir, runtime), runtime })
    const source = { path: path.join(nihDir, '00000061_012.png') }
    const [joined] = await quadrantFeatures(net, [source])
    assert.equal(joined.length, 4 * net.dim)
    const { xrayRaster } = await import('../../../main/xray')
    const parts = quadrants(await xrayRaster(source.path))
    const each = await computeFeatures(net, parts.map((raster, i) => ({ raster, name: `q${i}` })))
    each.forEach((f, q) => f.forEach((v, d) => assert.ok(Math.abs(joined[q * net.dim + d] - v) < 1e-5)))
    assert.ok(each[0].some((v, d) => Math.abs(v - each[3][d]) > 1e-3), 'the quadrants differ')
  })
})

describe('autoencoder', () => {
  it('reconstructs rank-4 data in 48 dimensions through an 8-unit code far better than its spread', async () => {
    let s = 11
    const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5
    const basis = Array.from({ length: 4 }, () => Float32Array.from({ length: 48 }, rand))
    const rows = Array.from({ length: 300 }, () => {
      const c = [rand(), rand(), rand(), rand()].map((v) => v * 4)
      return Float32Array.from({ length: 48 }, (_, d) => basis.reduce((a, b, k) => a + b[d] * c[k], 0) + rand() * 0.05)
    })
    const ae = await trainAutoencoder(rows.slice(0, 240), rows.slice(240), { hidden: [32, 8, 32], epochs: 80 })
    // Standardised features have unit variance: predicting the mean would score about 1.
    assert.ok(ae.valLoss < 0.3, `validation reconstruction error ${ae.valLoss}`)
    const codes = await encode(ae, rows.slice(0, 3))
    assert.equal(codes.length, 3)
    assert.equal(codes[0].length, 8)
    assert.ok(codes.every((c) => c.every((v) => v >= 0 && Number.isFinite(v))), 'codes are ReLU activations')
  })
})
