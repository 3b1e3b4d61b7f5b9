/** Bad input gives a clear LabError naming the file, or a bounded result that says what happened; never a crash. */
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import zlib from 'node:zlib'
import sharp from 'sharp'
import { LabError } from '../../../main/errors'
import { segmentMetaphase } from '../../../main/karyotype'
import { normaliseCrop } from '../../../main/karyotype/normalise/normalise'
import { createGrey } from '../../../main/imaging/raster'
import { chromosomesDir } from './helpers'

const dir = mkdtempSync(path.join(os.tmpdir(), 'lightbox-karyotype-'))

function isLabError(code: string, pattern: RegExp) {
  return (e: unknown) => e instanceof LabError && e.code === code && pattern.test(e.message)
}

/** A PNG that declares width × height but carries no pixel data: enough for a header-only check. */
function pngHeaderOnly(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(data.length)
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(zlib.crc32(body))
    return Buffer.concat([len, body, crc])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 0 // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.alloc(0))),
    chunk('IEND', Buffer.alloc(0))
  ])
}

describe('bad metaphase input', () => {
  it('a file that is not an image', async () => {
    const file = path.join(dir, 'notes.png')
    writeFileSync(file, 'these are my notes, not a picture')
    await assert.rejects(segmentMetaphase(file), isLabError('bad_input', /notes\.png is not a readable image/))
  })

  it('an empty file', async () => {
    const file = path.join(dir, 'empty.png')
    writeFileSync(file, '')
    await assert.rejects(segmentMetaphase(file), isLabError('bad_input', /empty\.png is empty/))
  })

  it('a file that does not exist', async () => {
    await assert.rejects(segmentMetaphase(path.join(dir, 'missing.png')), isLabError('not_found', /missing\.png/))
  })

  it('a truncated image', async () => {
    const spread = path.join(chromosomesDir, 'metaphases', 'cabinh', 'spreads', '8129A.001.A.png')
    const bytes = readFileSync(spread)
    await assert.rejects(segmentMetaphase(bytes.subarray(0, Math.floor(bytes.length / 3)), { name: 'cut.png' }), isLabError('bad_input', /cut\.png/))
  })

  it('a 20000×20000 image is refused before decoding, with its size', async () => {
    await assert.rejects(
      segmentMetaphase(pngHeaderOnly(20000, 20000), { name: 'huge.png' }),
      isLabError('unsupported', /huge\.png is 20000×20000 pixels \(400 MP\)/)
    )
  })

  it('a large image is shrunk to a bounded size and the result says so', async () => {
    const bytes = await sharp({ create: { width: 3000, height: 2400, channels: 3, background: { r: 255, g: 255, b: 255 } } }).png().toBuffer()
    const seg = await segmentMetaphase(bytes, { name: 'big.png' })
    assert.ok(seg.width * seg.height <= 4_000_000)
    assert.ok(seg.pixelScale > 1.3 && seg.pixelScale < 1.4, `pixelScale ${seg.pixelScale}`)
    assert.ok(seg.warnings.some((w) => /big\.png is 3000×2400 pixels; it was shrunk/.test(w)))
  })

  it('an empty field (no chromosomes) gives no objects and a warning', async () => {
    const bytes = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 250, g: 250, b: 250 } } }).png().toBuffer()
    const seg = await segmentMetaphase(bytes, { name: 'blank.png' })
    assert.equal(seg.objects.length, 0)
    assert.ok(seg.warnings.some((w) => /No chromosome-like objects/.test(w)))
  })

  it('pure noise gives a bounded result', async () => {
    const data = new Uint8Array(200 * 150)
    let s = 7
    for (let i = 0; i < data.length; i++) data[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24
    const bytes = await sharp(data, { raw: { width: 200, height: 150, channels: 1 } }).png().toBuffer()
    const seg = await segmentMetaphase(bytes, { name: 'noise.png' })
    assert.ok(seg.objects.length < 400)
  })

  it('a blank or tiny chromosome crop', () => {
    assert.throws(() => normaliseCrop(createGrey(20, 40, new Uint8Array(800).fill(255))), isLabError('bad_input', /No chromosome was found/))
    assert.throws(() => normaliseCrop(createGrey(2, 2, new Uint8Array(4))), isLabError('bad_input', /too small/))
  })
})
