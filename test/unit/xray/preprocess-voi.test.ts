/**
 * The grey-scale pipeline (PS3.3 C.11): rescale and modality LUT, windows (LINEAR, LINEAR_EXACT,
 * SIGMOID), VOI LUT sequences, MONOCHROME1, and the defaults when the header says nothing.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeXray, presentationImage, windowFunction } from '../../../main/xray'
import { type DicomElement, greyImage, writeDicom } from './decode-dicom-writer'

function lutItem(first: number, data: number[], bits = 16, explanation?: string): DicomElement[] {
  const item: DicomElement[] = [
    { tag: 0x00283002, vr: 'US', value: [data.length === 65536 ? 0 : data.length, first, bits] },
    { tag: 0x00283006, vr: 'OW', value: new Uint16Array(data) }
  ]
  if (explanation) item.push({ tag: 0x00283003, vr: 'LO', value: explanation })
  return item
}

async function image16(values: number[], extra: DicomElement[], options: { signed?: boolean; photometric?: string; bitsStored?: number } = {}) {
  const pixels = new Uint16Array(values.map((v) => v & 0xffff))
  const bytes = writeDicom(greyImage({ rows: 1, columns: values.length, bitsAllocated: 16, pixels, extra, ...options }))
  return decodeXray(bytes, { name: 'voi.dcm' })
}

describe('window functions (PS3.3 C.11.2.1.2)', () => {
  it('LINEAR: the standard’s worked example c=2048, w=4096 and its end points', () => {
    const f = windowFunction(2048, 4096, 'LINEAR')
    assert.equal(f(2047.5 - 2047.5), 0) // x ≤ c − 0.5 − (w−1)/2 = 0
    assert.equal(f(4096), 1)
    assert.ok(Math.abs(f(2047.5) - 0.5) < 1e-12)
    // width 1 is a threshold at c − 0.5
    const t = windowFunction(100, 1, 'LINEAR')
    assert.equal(t(99.5), 0)
    assert.equal(t(99.6), 1)
  })

  it('LINEAR_EXACT maps c − w/2 → 0 and c + w/2 → 1 exactly', () => {
    const f = windowFunction(127.5, 255, 'LINEAR_EXACT')
    for (let v = 0; v <= 255; v++) assert.equal(Math.round(f(v) * 255), v)
  })

  it('SIGMOID is ½ at the centre and symmetric', () => {
    const f = windowFunction(40, 400, 'SIGMOID')
    assert.equal(f(40), 0.5)
    assert.ok(Math.abs(f(40 + 100) + f(40 - 100) - 1) < 1e-12)
  })
})

describe('presentation of DICOM images', () => {
  it('applies rescale then the header window (CT: −1000…1000 HU window 0/2000)', async () => {
    // stored 0…2000 with intercept −1000 → −1000…1000 HU
    const x = await image16([0, 500, 1000, 1500, 2000], [
      { tag: 0x00281052, vr: 'DS', value: '-1000' },
      { tag: 0x00281053, vr: 'DS', value: '1' },
      { tag: 0x00281050, vr: 'DS', value: '0' },
      { tag: 0x00281051, vr: 'DS', value: '2000' }
    ])
    const { raster, voi } = presentationImage(x)
    assert.deepEqual(voi, { kind: 'window', center: 0, width: 2000, function: 'LINEAR', explanation: null, invert: false })
    const expected = [-1000, -500, 0, 500, 1000].map((hu) => Math.round(windowFunction(0, 2000, 'LINEAR')(hu) * 255))
    assert.deepEqual(Array.from(raster.data), expected)
    assert.deepEqual(expected, [0, 64, 128, 191, 255])
  })

  it('offers every header window and the user’s own', async () => {
    const x = await image16([0, 100, 200, 300], [
      { tag: 0x00281050, vr: 'DS', value: '150\\100' },
      { tag: 0x00281051, vr: 'DS', value: '300\\0' }, // width 0 is dropped
      { tag: 0x00281055, vr: 'LO', value: 'SOFT\\BROKEN' }
    ])
    assert.equal(x.transforms.windows.length, 1)
    assert.equal(x.transforms.windows[0].explanation, 'SOFT')
    const mine = presentationImage(x, { kind: 'window', center: 200, width: 2 })
    assert.deepEqual(Array.from(mine.raster.data), [0, 0, 255, 255])
    assert.throws(() => presentationImage(x, { kind: 'header-window', index: 1 }), /has 1 window\(s\) in its header; there is no window 2/)
  })

  it('applies a VOI LUT sequence, scaled by the table’s own range', async () => {
    // 12-bit table declared 16 bits per entry: input 100…103 → 0, 1000, 3000, 4095
    const x = await image16([99, 100, 101, 102, 103, 104], [{ tag: 0x00283010, vr: 'SQ', value: [lutItem(100, [0, 1000, 3000, 4095], 16, 'NORMAL')] }])
    assert.equal(x.transforms.voiLuts.length, 1)
    const { raster, voi } = presentationImage(x)
    assert.equal(voi.kind, 'lut')
    assert.equal(voi.explanation, 'NORMAL')
    assert.deepEqual(Array.from(raster.data), [0, 0, Math.round((1000 / 4095) * 255), Math.round((3000 / 4095) * 255), 255, 255])
  })

  it('prefers the header window over a VOI LUT by default, and gives the LUT on request', async () => {
    const x = await image16([0, 10], [
      { tag: 0x00281050, vr: 'DS', value: '5' },
      { tag: 0x00281051, vr: 'DS', value: '10' },
      { tag: 0x00283010, vr: 'SQ', value: [lutItem(0, [65535, 0])] }
    ])
    assert.equal(presentationImage(x).voi.kind, 'window')
    assert.deepEqual(Array.from(presentationImage(x, { kind: 'header-lut', index: 0 }).raster.data), [255, 0])
  })

  it('applies a Modality LUT sequence instead of rescale', async () => {
    const x = await image16([0, 1, 2, 3], [
      { tag: 0x00283000, vr: 'SQ', value: [lutItem(0, [1000, 1100, 1300, 1700])] },
      { tag: 0x00281053, vr: 'DS', value: '99' } // ignored when the LUT is present
    ])
    const { raster, voi } = presentationImage(x)
    assert.equal(voi.kind, 'full-range')
    assert.equal(voi.center, 1350)
    assert.equal(voi.width, 700)
    assert.deepEqual(Array.from(raster.data), [0, Math.round((100 / 700) * 255), Math.round((300 / 700) * 255), 255])
  })

  it('MONOCHROME1 is inverted after the window', async () => {
    const values = [0, 1000, 2000, 3000, 4000]
    const window: DicomElement[] = [
      { tag: 0x00281050, vr: 'DS', value: '2000' },
      { tag: 0x00281051, vr: 'DS', value: '4000' }
    ]
    const m2 = presentationImage(await image16(values, window)).raster.data
    const m1 = presentationImage(await image16(values, window, { photometric: 'MONOCHROME1' })).raster.data
    assert.deepEqual(Array.from(m1), Array.from(m2, (v) => 255 - v))
    assert.ok(m2[0] < m2[4])
  })

  it('without a VOI: >8-bit data spans its range, 8-bit data is shown as stored', async () => {
    const x = await image16([200, 300, 400], [], { bitsStored: 12 })
    assert.deepEqual(Array.from(presentationImage(x).raster.data), [0, 128, 255])
    assert.equal(presentationImage(x).voi.kind, 'full-range')
    const bytes = writeDicom(greyImage({ rows: 1, columns: 3, bitsAllocated: 8, pixels: new Uint8Array([10, 20, 30]) }))
    const y = await decodeXray(bytes)
    assert.deepEqual(Array.from(presentationImage(y).raster.data), [10, 20, 30])
    assert.equal(presentationImage(y).voi.kind, 'full-scale')
    assert.deepEqual(Array.from(presentationImage(y, { kind: 'full-range' }).raster.data), [0, 128, 255])
  })

  it('Pixel Padding Value: shown black and left out of the full-range window', async () => {
    const padding: DicomElement[] = [{ tag: 0x00280120, vr: 'SS', value: -2000 }]
    const x = await image16([-2000, -1000, 0, 1000], padding, { signed: true })
    assert.deepEqual(x.transforms.padding, { from: -2000, to: -2000, valueRange: { min: -1000, max: 1000 } })
    const full = presentationImage(x)
    assert.equal(full.voi.kind, 'full-range')
    assert.deepEqual([full.voi.center, full.voi.width], [0, 2000])
    assert.deepEqual(Array.from(full.raster.data), [0, 0, 128, 255])
    // inverted (MONOCHROME1) and windowed: padding stays black
    const m1 = await image16([-2000, -1000, 0, 1000], [...padding, { tag: 0x00281050, vr: 'DS', value: '0' }, { tag: 0x00281051, vr: 'DS', value: '100' }], {
      signed: true,
      photometric: 'MONOCHROME1'
    })
    assert.deepEqual(Array.from(presentationImage(m1).raster.data), [0, 255, 255 - Math.round(windowFunction(0, 100, 'LINEAR')(0) * 255), 0])
  })

  it('signed data with a window', async () => {
    const x = await image16([-1024, 0, 1024], [
      { tag: 0x00281050, vr: 'DS', value: '0' },
      { tag: 0x00281051, vr: 'DS', value: '2049' },
      { tag: 0x00281056, vr: 'CS', value: 'LINEAR_EXACT' }
    ], { signed: true })
    assert.deepEqual(Array.from(x.pixels.data), [-1024, 0, 1024])
    const { raster, voi } = presentationImage(x)
    assert.equal(voi.function, 'LINEAR_EXACT')
    assert.deepEqual(Array.from(raster.data), [0, 128, 255])
  })
})
