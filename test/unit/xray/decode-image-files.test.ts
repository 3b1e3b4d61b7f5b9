/** PNG, TIFF (8/16-bit) and BMP images generated here decode to exactly the values written. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { encode as encodeBmp } from 'bmp-ts'
import { writeArrayBuffer } from 'geotiff'
import sharp from 'sharp'
import { decodeXray, presentationImage } from '../../../main/xray'

const width = 24
const height = 16
const ramp16 = new Uint16Array(width * height).map((_, i) => (i * 157) % 4096)
const ramp8 = new Uint8Array(width * height).map((_, i) => (i * 7) % 256)

describe('X-ray decoding of image files', () => {
  it('16-bit grey PNG keeps its 16-bit values', async () => {
    const png = await sharp(ramp16, { raw: { width, height, channels: 1 } }).toColourspace('grey16').png().toBuffer()
    const x = await decodeXray(new Uint8Array(png), { name: 'grey16.png' })
    assert.equal(x.format, 'png')
    assert.equal(x.image.bitsStored, 16)
    assert.ok(x.pixels.data instanceof Uint16Array)
    assert.deepEqual(Array.from(x.pixels.data), Array.from(ramp16))
    // shown over the range present (0…4095), not the 16-bit scale
    const shown = presentationImage(x)
    assert.equal(shown.voi.kind, 'full-range')
    assert.equal(Math.max(...shown.raster.data), 255)
    assert.equal(Math.min(...shown.raster.data), 0)
  })

  it('16-bit and 8-bit grey TIFF keep their values', async () => {
    const t16 = await writeArrayBuffer(ramp16, { width, height, BitsPerSample: [16], SampleFormat: [1], PhotometricInterpretation: 1, SamplesPerPixel: 1 })
    const x16 = await decodeXray(new Uint8Array(t16), { name: 'grey16.tif' })
    assert.equal(x16.format, 'tiff')
    assert.deepEqual(Array.from(x16.pixels.data), Array.from(ramp16))
    const t8 = await writeArrayBuffer(ramp8, { width, height, BitsPerSample: [8], PhotometricInterpretation: 1, SamplesPerPixel: 1 })
    const x8 = await decodeXray(new Uint8Array(t8), { name: 'grey8.tif' })
    assert.ok(x8.pixels.data instanceof Uint8Array)
    assert.deepEqual(Array.from(x8.pixels.data), Array.from(ramp8))
  })

  it('colour PNG is reduced to luminance', async () => {
    const rgb = new Uint8Array(width * height * 3).map((_, i) => (i * 11) % 256)
    const png = await sharp(rgb, { raw: { width, height, channels: 3 } }).png().toBuffer()
    const x = await decodeXray(new Uint8Array(png))
    assert.equal(x.image.photometric, 'RGB')
    for (const p of [0, 17, 200]) {
      const [r, g, b] = [rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]]
      assert.ok(Math.abs(x.pixels.data[p] - (0.2126 * r + 0.7152 * g + 0.0722 * b)) <= 2 || Math.abs(x.pixels.data[p] - (0.299 * r + 0.587 * g + 0.114 * b)) <= 2)
    }
  })

  it('24-bit BMP decodes to its grey values', async () => {
    const abgr = Buffer.alloc(width * height * 4)
    ramp8.forEach((v, i) => abgr.set([0, v, v, v], 4 * i)) // bmp-ts takes A,B,G,R
    const bmp = encodeBmp({ width, height, data: abgr }).data
    const x = await decodeXray(new Uint8Array(bmp), { name: 'ramp.bmp' })
    assert.equal(x.format, 'bmp')
    assert.equal(x.image.photometric, 'MONOCHROME2')
    assert.deepEqual(Array.from(x.pixels.data), Array.from(ramp8))
    // channel order: pure blue, green and red pixels weigh 0.114, 0.587 and 0.299
    const colour = Buffer.alloc(3 * 4)
    colour.set([0, 255, 0, 0, 0, 0, 255, 0, 0, 0, 0, 255])
    const c = await decodeXray(new Uint8Array(encodeBmp({ width: 3, height: 1, data: colour }).data))
    assert.deepEqual(Array.from(c.pixels.data), [29, 150, 76])
    assert.equal(c.image.photometric, 'RGB')
  })

  it('8-bit palette BMP (the usual grey BMP) decodes through its palette', async () => {
    // A bottom-up 8-bit BMP whose palette maps index i to grey 255 − i.
    const rowSize = Math.ceil(width / 4) * 4
    const headerSize = 14 + 40 + 256 * 4
    const bytes = new Uint8Array(headerSize + rowSize * height)
    const dv = new DataView(bytes.buffer)
    bytes.set([0x42, 0x4d])
    dv.setUint32(2, bytes.length, true)
    dv.setUint32(10, headerSize, true)
    dv.setUint32(14, 40, true)
    dv.setInt32(18, width, true)
    dv.setInt32(22, height, true)
    dv.setUint16(26, 1, true)
    dv.setUint16(28, 8, true)
    dv.setUint32(46, 256, true)
    for (let i = 0; i < 256; i++) bytes.set([255 - i, 255 - i, 255 - i, 0], 54 + 4 * i)
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) bytes[headerSize + (height - 1 - y) * rowSize + x] = ramp8[y * width + x]
    }
    const x = await decodeXray(bytes, { name: 'palette.bmp' })
    assert.deepEqual(Array.from(x.pixels.data), Array.from(ramp8, (v) => 255 - v))
  })
})
