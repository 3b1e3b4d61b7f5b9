/**
 * Grad-CAM heatmaps: on synthetic maps the heat lies where the evidence is and sums to the pooled score;
 * through the shipped heads the grid is aligned with the display image (it covers it exactly, a mirrored
 * study gets the mirrored heatmap, the display scale follows maxSide), and the heat means something:
 * hiding the hottest part of abnormal held-out images lowers the abnormality score more than hiding the
 * coldest part.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { before, describe, it } from 'node:test'
import { createGrey, type GreyRaster } from '../../../main/imaging/raster'
import { xrayRaster } from '../../../main/xray'
import { defaultSplit, readXrayDataset, splitOf } from '../../../main/xray/findings/dataset'
import type { XrayPipeline } from '../../../main/xray/findings/pipeline'
import { gradCam } from '../../../main/xray/heatmap/grad-cam'
import { heatAt } from '../../../main/xray/heatmap/render'
import { nihDir, sampleDicom, shippedPipeline } from './findings-helpers'

function blobMap(h: number, w: number, cy: number, cx: number): Float32Array {
  const m = new Float32Array(h * w)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) m[y * w + x] = Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / 2)
  return m
}

function argmax(v: Float32Array): number {
  let best = 0
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i
  return best
}

describe('gradCam on synthetic maps', () => {
  it('puts the heat on the evidence, resampled onto the finest grid, and sums to the pooled score', () => {
    const taps = [
      { name: 'fine', channels: 1 },
      { name: 'coarse', channels: 2 }
    ]
    const fine = blobMap(28, 28, 6, 20)
    // The coarse layer: channel 0 sees the same place at half resolution, channel 1 a decoy elsewhere.
    const coarse = new Float32Array(2 * 14 * 14)
    coarse.set(blobMap(14, 14, 3, 10))
    coarse.set(blobMap(14, 14, 11, 2), 196)
    const maps = { fine: { data: fine, dims: [1, 1, 28, 28] }, coarse: { data: coarse, dims: [1, 2, 14, 14] } }
    const gradient = Float32Array.from([1, 0.5, -2])
    const cam = gradCam(taps, maps, gradient, { flip: false })
    assert.equal(cam.width, 28)
    assert.equal(cam.height, 28)
    const hot = argmax(cam.values)
    assert.deepEqual([Math.floor(hot / 28), hot % 28], [6, 20])
    assert.equal(cam.values[hot], 1)
    assert.ok(cam.values.every((v) => v >= 0 && v <= 1))
    // The decoy channel has a negative gradient: no positive heat around it.
    assert.ok(cam.values[22 * 28 + 4] < 0.05)
    const pooled = (m: Float32Array) => m.reduce((a, b) => a + b, 0) / m.length
    const score = 1 * pooled(fine) + 0.5 * pooled(coarse.subarray(0, 196)) - 2 * pooled(coarse.subarray(196))
    const total = cam.evidence.reduce((a, b) => a + b, 0)
    assert.ok(Math.abs(total - score) < 1e-3 * Math.max(1, Math.abs(score)), `${total} vs ${score}`)
  })

  it('with mirror averaging, flips the mirrored rows back before adding them', () => {
    const taps = [{ name: 't', channels: 1 }]
    const data = new Float32Array(2 * 14 * 14)
    data.set(blobMap(14, 14, 4, 11))
    data.set(blobMap(14, 14, 4, 2), 196) // the mirror image's map: the blob at 13 − 11 = 2
    const cam = gradCam(taps, { t: { data, dims: [2, 1, 14, 14] } }, Float32Array.from([1]), { flip: true })
    const hot = argmax(cam.values)
    assert.deepEqual([Math.floor(hot / 14), hot % 14], [4, 11])
  })
})

describe('heatmaps from the shipped heads', () => {
  let pipeline: XrayPipeline
  before(async () => {
    ;({ pipeline } = await shippedPipeline())
  })

  it('cover the display image exactly, at the scale maxSide gives', async () => {
    const full = await pipeline.heatmaps({ bytes: readFileSync(sampleDicom), name: 'cr.dcm' })
    assert.deepEqual(full.display, { width: 1024, height: 1024 })
    assert.equal(full.heatmaps.length, pipeline.findingsHead.info.findings.length + 1)
    const small = await pipeline.heatmaps({ bytes: readFileSync(sampleDicom), name: 'cr.dcm' }, { labels: ['Abnormal'], maxSide: 512 })
    assert.deepEqual(small.display, { width: 512, height: 512 })
    const [h] = small.heatmaps
    assert.equal(h.label, 'Abnormal')
    assert.equal(h.method, 'grad-cam')
    assert.deepEqual(h.region, { x: 0, y: 0, width: 512, height: 512 })
    assert.equal(h.values.length, h.width * h.height)
    assert.ok(h.values.every((v) => v >= 0 && v <= 1) && Math.max(...h.values) === 1)
    // A non-square image: the grid stretches over the whole display image as the model input stretched it.
    const nih = await xrayRaster(path.join(nihDir, '00000061_012.png'))
    const wide = createGrey(512, 384, nih.data.slice(64 * 512, 448 * 512))
    const w = await pipeline.heatmaps({ raster: wide, name: 'wide' }, { labels: ['Abnormal'] })
    assert.deepEqual(w.display, { width: 512, height: 384 })
    assert.deepEqual(w.heatmaps[0].region, { x: 0, y: 0, width: 512, height: 384 })
  })

  it('a mirrored study gets the mirrored heatmap (the grid is not shifted, transposed or flipped)', async () => {
    const raster = await xrayRaster(path.join(nihDir, '00000061_012.png'))
    const mirrored = createGrey(raster.width, raster.height, new Uint8Array(raster.data.length))
    for (let y = 0; y < raster.height; y++) for (let x = 0; x < raster.width; x++) mirrored.data[y * raster.width + x] = raster.data[y * raster.width + raster.width - 1 - x]
    const [a] = (await pipeline.heatmaps({ raster, name: 'a' }, { labels: ['Abnormal'] })).heatmaps
    const [b] = (await pipeline.heatmaps({ raster: mirrored, name: 'b' }, { labels: ['Abnormal'] })).heatmaps
    let worst = 0
    for (let y = 0; y < a.height; y++) for (let x = 0; x < a.width; x++) worst = Math.max(worst, Math.abs(a.values[y * a.width + x] - b.values[y * b.width + (b.width - 1 - x)]))
    assert.ok(worst < 0.05, `largest difference ${worst}`)
    // …and is not symmetric itself, so the comparison above is not empty.
    let asymmetry = 0
    for (let y = 0; y < a.height; y++) for (let x = 0; x < a.width; x++) asymmetry = Math.max(asymmetry, Math.abs(a.values[y * a.width + x] - a.values[y * a.width + (a.width - 1 - x)]))
    assert.ok(asymmetry > 0.2, `asymmetry ${asymmetry}`)
  })

  it('hiding the hottest region lowers the abnormality score more than hiding the coldest one', async (t) => {
    const dataset = await readXrayDataset(nihDir, { requirePatients: true })
    const abnormal = dataset.records.filter((r) => splitOf(r.patient, defaultSplit) === 'test' && r.findings.length > 0).slice(0, 24)
    const rasters = await Promise.all(abnormal.map((r) => xrayRaster(path.join(nihDir, r.file))))
    const scores = await pipeline.findings(rasters.map((raster, i) => ({ raster, name: abnormal[i].file })))
    // The five abnormal held-out images the model is surest about (the heat explains a high score).
    const picked = scores.map((s, i) => ({ s: s.abnormal.score, i })).sort((a, b) => b.s - a.s).slice(0, 5)
    const drops = { hot: [] as number[], cold: [] as number[] }
    for (const { s, i } of picked) {
      const raster = rasters[i]
      const [h] = (await pipeline.heatmaps({ raster, name: 'x' }, { labels: ['Abnormal'] })).heatmaps
      // A square window of a quarter of the side; its mean heat at every position (8 px steps).
      const side = raster.width / 4
      let hot = { v: -1, x: 0, y: 0 }
      let cold = { v: Infinity, x: 0, y: 0 }
      for (let y = 0; y + side <= raster.height; y += 8) {
        for (let x = 0; x + side <= raster.width; x += 8) {
          let sum = 0
          for (let yy = 0; yy < side; yy += 8) for (let xx = 0; xx < side; xx += 8) sum += heatAt(h, ((x + xx) * h.region.width) / raster.width, ((y + yy) * h.region.height) / raster.height)
          if (sum > hot.v) hot = { v: sum, x, y }
          if (sum < cold.v) cold = { v: sum, x, y }
        }
      }
      const mean = raster.data.reduce((a, b) => a + b, 0) / raster.data.length
      const hide = (box: { x: number; y: number }): GreyRaster<Uint8Array> => {
        const data = Uint8Array.from(raster.data)
        for (let y = box.y; y < box.y + side; y++) data.fill(mean, y * raster.width + box.x, y * raster.width + box.x + side)
        return createGrey(raster.width, raster.height, data)
      }
      const [a, b] = await pipeline.findings([{ raster: hide(hot), name: 'hot' }, { raster: hide(cold), name: 'cold' }])
      drops.hot.push(s - a.abnormal.score)
      drops.cold.push(s - b.abnormal.score)
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    t.diagnostic(`score drops, hottest/coldest window hidden: ${drops.hot.map((d, i) => `${d.toFixed(3)}/${drops.cold[i].toFixed(3)}`).join(', ')}`)
    assert.ok(mean(drops.hot) > mean(drops.cold), `mean drop hot ${mean(drops.hot)} vs cold ${mean(drops.cold)}`)
    assert.ok(drops.hot.filter((d, i) => d > drops.cold[i]).length >= 3, `hot > cold in ${drops.hot.map((d, i) => `${d.toFixed(3)}/${drops.cold[i].toFixed(3)}`).join(', ')}`)
  })
})
