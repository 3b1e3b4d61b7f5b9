/** The display image (≤ 2048 px, 8-bit) and the model input tensor a manifest's input spec asks for. */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { repoRoot } from '../../../main/app/paths'
import { createGrey } from '../../../main/imaging/raster'
import type { InputSpec } from '../../../main/ml/registry/manifest'
import { inputSpecSchema } from '../../../main/ml/registry/manifest'
import { imagesToTensor } from '../../../main/ml/backbone/preprocess'
import { decodeXray, displayImage, inputGeometry, modelInput, prepareXray, presentationImage, xrayRaster } from '../../../main/xray'

const samplesDir = path.join(repoRoot, '..', 'shared', 'datasets', 'xray', 'samples')
const crFile = path.join(samplesDir, '1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm')
const bigJpeg = path.join(samplesDir, 'covid-19-pneumonia-58-prior.jpg')

const imagenet: InputSpec = inputSpecSchema.parse({
  name: 'input',
  shape: ['batch', 3, 224, 224],
  dtype: 'float32',
  size: { width: 224, height: 224 },
  channels: 3,
  layout: 'NCHW',
  normalisation: { scale: 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }
})

describe('display image', () => {
  it('keeps a 1024² image as it is and reduces a 2373² one to 2048 on its long side', async () => {
    const small = await displayImage(await decodeXray(crFile))
    assert.equal(small.raster.width, 1024)
    assert.equal(small.scale, 1)
    const big = await displayImage(await decodeXray(bigJpeg))
    assert.equal(Math.max(big.raster.width, big.raster.height), 2048)
    assert.ok(Math.abs(big.scale - 2048 / 2373) < 1e-9)
    assert.equal(big.raster.data.length, big.raster.width * big.raster.height)
    const limited = await displayImage(await decodeXray(crFile), { maxSide: 300 })
    assert.deepEqual([limited.raster.width, limited.raster.height], [300, 300])
  })

  it('is the window-levelled image, not the stored values', async () => {
    const x = await decodeXray(crFile)
    const narrow = await displayImage(x, { voi: { kind: 'window', center: 128, width: 20 } })
    const values = new Set(narrow.raster.data)
    assert.ok(values.has(0) && values.has(255))
    let clipped = 0
    for (const v of narrow.raster.data) if (v === 0 || v === 255) clipped++
    assert.ok(clipped > narrow.raster.data.length / 2, 'a narrow window clips most pixels')
  })
})

describe('model input', () => {
  it('reads size, channels and layout from the spec and rejects inconsistent specs', () => {
    assert.deepEqual(inputGeometry(imagenet), { width: 224, height: 224, channels: 3, layout: 'NCHW', dtype: 'float32' })
    const nhwc = inputSpecSchema.parse({ name: 'x', shape: [1, 96, 128, 1], dtype: 'uint8', layout: 'NHWC' })
    assert.deepEqual(inputGeometry(nhwc), { width: 128, height: 96, channels: 1, layout: 'NHWC', dtype: 'uint8' })
    assert.throws(() => inputGeometry({ ...imagenet, shape: ['batch', 3, 256, 224] }), /disagrees with size 224×224/)
    assert.throws(() => inputGeometry({ ...imagenet, layout: 'NC', shape: ['batch', 1280] }), /feature vector/)
    assert.throws(() => inputGeometry({ ...imagenet, dtype: 'int64' }), /image inputs must be float32 or uint8/)
    assert.throws(() => inputGeometry({ ...imagenet, normalisation: { scale: 255, mean: [0.5, 0.5], std: [0.5] } }), /1 or 3 means/)
  })

  it('NCHW float32 with ImageNet normalisation: exactly the backbone preprocessing’s tensor', async () => {
    const x = await decodeXray(crFile)
    const { raster } = presentationImage(x)
    const input = await modelInput(raster, imagenet)
    assert.deepEqual(input.dims, [1, 3, 224, 224])
    assert.ok(input.data instanceof Float32Array)
    assert.equal(input.data.length, 3 * 224 * 224)
    const reference = imagesToTensor([raster], imagenet)
    assert.deepEqual(reference.dims, input.dims)
    assert.deepEqual(input.data, reference.data, 'bit-identical to main/ml/backbone/preprocess.ts')
    // and the normalisation is the manifest's: (p/255 − mean)/std stays within the range it allows
    const lowest = (0 - 0.485) / 0.229
    const highest = (1 - 0.406) / 0.225
    for (const v of input.data) assert.ok(v >= lowest - 1e-6 && v <= highest + 1e-6)
    assert.deepEqual(input.region, { fit: 'stretch', source: { x: 0, y: 0, width: 1024, height: 1024 }, target: { x: 0, y: 0, width: 224, height: 224 } })
  })

  it('matches the backbone preprocessing for a non-square image and its own manifest', async () => {
    const x = await decodeXray(bigJpeg)
    const { raster } = presentationImage(x)
    const cropped = createGrey(1000, 700, new Uint8Array(1000 * 700).map((_, i) => raster.data[Math.floor(i / 1000) * raster.width + (i % 1000)]))
    const spec = inputSpecSchema.parse(JSON.parse(readFileSync(path.join(repoRoot, 'resources', 'models', 'mobilenet-v2', 'manifest.json'), 'utf8')).inputs[0])
    const input = await modelInput(cropped, spec)
    assert.deepEqual(input.data, imagesToTensor([cropped], spec).data)
  })

  it('NHWC interleaves the same values, and uint8 inputs get raw pixels', async () => {
    const grey = createGrey(4, 2, new Uint8Array([0, 10, 20, 30, 40, 50, 60, 70]))
    const nchw = await modelInput(grey, { ...imagenet, shape: [1, 3, 2, 4], size: { width: 4, height: 2 } })
    const nhwc = await modelInput(grey, { ...imagenet, shape: [1, 2, 4, 3], size: { width: 4, height: 2 }, layout: 'NHWC' })
    assert.deepEqual(nhwc.dims, [1, 2, 4, 3])
    for (let i = 0; i < 8; i++) for (let c = 0; c < 3; c++) assert.equal(nhwc.data[i * 3 + c], nchw.data[c * 8 + i])
    const plain = await modelInput(grey, inputSpecSchema.parse({ name: 'x', shape: [1, 1, 2, 4], dtype: 'float32', layout: 'NCHW' }))
    assert.deepEqual(Array.from(plain.data), [0, 10, 20, 30, 40, 50, 60, 70].map((v) => Math.fround(v / 255)), 'no normalisation: 0…1')
    const raw = await modelInput(grey, inputSpecSchema.parse({ name: 'x', shape: [1, 1, 2, 4], dtype: 'uint8', layout: 'NCHW' }))
    assert.ok(raw.data instanceof Uint8Array)
    assert.deepEqual(Array.from(raw.data), [0, 10, 20, 30, 40, 50, 60, 70])
  })

  it('fills a batch tensor in place', async () => {
    const a = createGrey(2, 2, new Uint8Array([0, 0, 0, 0]))
    const b = createGrey(2, 2, new Uint8Array([255, 255, 255, 255]))
    const spec = inputSpecSchema.parse({ name: 'x', shape: ['batch', 1, 2, 2], dtype: 'float32', layout: 'NCHW', normalisation: { scale: 255, mean: [0.5], std: [0.5] } })
    const batch = new Float32Array(2 * 4)
    await modelInput(a, spec, { into: batch, offset: 0 })
    await modelInput(b, spec, { into: batch, offset: 4 })
    assert.deepEqual(Array.from(batch), [-1, -1, -1, -1, 1, 1, 1, 1])
    await assert.rejects(modelInput(a, spec, { into: batch, offset: 6 }), /room for 4 values at offset 6/)
  })

  it('letterbox and centre-crop say which part of the image the tensor shows', async () => {
    const wide = createGrey(200, 100, new Uint8Array(200 * 100).fill(200))
    const spec = inputSpecSchema.parse({ name: 'x', shape: [1, 1, 50, 50], dtype: 'uint8', layout: 'NCHW' })
    const box = await modelInput(wide, spec, { fit: 'letterbox' })
    const { x, y, width, height } = box.region.target
    assert.deepEqual({ x, width }, { x: 0, width: 50 })
    assert.ok(Math.abs(y - 12.5) <= 0.5 && Math.abs(height - 25) <= 1, JSON.stringify(box.region.target))
    assert.equal(box.data[0], 0, 'the bar above the image is black')
    assert.equal(box.data[25 * 50 + 25], 200)
    // the edge rows blend bar and image (the filter spans both); the rows next to them do not
    assert.equal(box.data[(y - 2) * 50 + 25], 0, 'bar above the target')
    assert.equal(box.data[(y + 1) * 50 + 25], 200, 'image inside the target')
    assert.equal(box.data[(y + height - 2) * 50 + 25], 200, 'image inside the target')
    assert.equal(box.data[(y + height + 1) * 50 + 25], 0, 'bar below the target')
    const crop = await modelInput(wide, spec, { fit: 'center-crop' })
    assert.deepEqual(crop.region.source, { x: 50, y: 0, width: 100, height: 100 })
    assert.equal(crop.data[0], 200)
  })

  it('prepareXray decodes once and gives display and input together', async () => {
    const p = await prepareXray(crFile, { inputSpec: imagenet })
    assert.equal(p.decoded.metadata.modality, 'CR')
    assert.equal(p.display.raster.width, 1024)
    assert.deepEqual(p.input?.dims, [1, 3, 224, 224])
    // the feature-extraction hook gives the same presented pixels
    const raster = await xrayRaster(new Uint8Array(readFileSync(crFile)), 'cr.dcm')
    assert.deepEqual(raster.data, presentationImage(p.decoded).raster.data)
  })
})
