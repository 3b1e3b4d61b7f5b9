/**
 * DICOM layouts the sample files do not cover, written by the test helper: bits stored below bits
 * allocated (with overlay bits set), signed data, colour, multi-frame, bare data sets, encodings, and
 * the worklist metadata with character sets.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeXray, formatPersonName } from '../../../main/xray'
import sharp from 'sharp'
import { type DicomElement, Fragments, greyImage, syntaxes, writeDicom } from './decode-dicom-writer'

const ramp16 = (n: number, f: (i: number) => number) => new Uint16Array(n).map((_, i) => f(i))

describe('DICOM pixel layouts', () => {
  it('keeps only the Bits Stored (overlay bits above them are dropped)', async () => {
    // 12 bits stored in 16, with bit 15 set on every other pixel as an embedded overlay would.
    const values = ramp16(64, (i) => (i * 60) | (i % 2 ? 0x8000 : 0))
    const x = await decodeXray(writeDicom(greyImage({ rows: 8, columns: 8, bitsAllocated: 16, bitsStored: 12, pixels: values })))
    assert.ok(x.pixels.data instanceof Uint16Array)
    assert.deepEqual(Array.from(x.pixels.data), Array.from(values, (v) => v & 0x0fff))
  })

  it('sign-extends signed data of fewer bits than allocated', async () => {
    // −5 as 12-bit two's complement is 0xFFB; 2047 is the largest positive value.
    const values = new Uint16Array([0x0ffb, 0x07ff, 0x0800, 0x0000])
    const x = await decodeXray(writeDicom(greyImage({ rows: 2, columns: 2, bitsAllocated: 16, bitsStored: 12, signed: true, pixels: values })))
    assert.ok(x.pixels.data instanceof Int16Array)
    assert.deepEqual(Array.from(x.pixels.data), [-5, 2047, -2048, 0])
    assert.deepEqual(x.range, { min: -2048, max: 2047 })
  })

  it('reads RLE words like native ones: overlay bits dropped, 12-bit signed values sign-extended', async () => {
    // One 2×2 frame, 16 bits allocated, 12 stored, signed: −5 with an overlay bit, 2047, −2048, 7.
    const words = [0x8ffb, 0x07ff, 0x0800, 0x0007]
    const hi = words.map((w) => w >> 8)
    const lo = words.map((w) => w & 0xff)
    const segment = (bytes: number[]) => [bytes.length - 1, ...bytes] // one literal run (PackBits)
    const seg1 = segment(hi)
    const seg2 = segment(lo)
    const header = new Uint8Array(64)
    const dv = new DataView(header.buffer)
    dv.setUint32(0, 2, true)
    dv.setUint32(4, 64, true)
    dv.setUint32(8, 64 + seg1.length, true)
    const rle = new Uint8Array([...header, ...seg1, ...seg2])
    const bytes = writeDicom(greyImage({ rows: 2, columns: 2, bitsAllocated: 16, bitsStored: 12, signed: true, pixels: new Fragments([rle]) }), {
      transferSyntax: '1.2.840.10008.1.2.5'
    })
    const x = await decodeXray(bytes)
    assert.deepEqual(Array.from(x.pixels.data), [-5, 2047, -2048, 7])
  })

  it('reads implicit VR and big-endian data sets the same as explicit little endian', async () => {
    const values = ramp16(16 * 16, (i) => i * 13)
    const els = greyImage({ rows: 16, columns: 16, bitsAllocated: 16, pixels: values })
    for (const syntax of [syntaxes.explicit, syntaxes.implicit, syntaxes.bigEndian]) {
      const x = await decodeXray(writeDicom(els, { transferSyntax: syntax }), { name: syntax })
      assert.equal(x.image.transferSyntax?.uid, syntax)
      assert.deepEqual(Array.from(x.pixels.data), Array.from(values), syntax)
    }
  })

  it('reads a bare data set without preamble or meta header (implicit VR)', async () => {
    const values = new Uint8Array(64).map((_, i) => i * 4)
    const bytes = writeDicom(greyImage({ rows: 8, columns: 8, bitsAllocated: 8, pixels: values }), { transferSyntax: syntaxes.implicit, bare: true })
    const x = await decodeXray(bytes, { name: 'bare' })
    assert.deepEqual(Array.from(x.pixels.data), Array.from(values))
  })

  it('shows the first frame of a multi-frame image and says so', async () => {
    const frames = new Uint8Array(3 * 16).map((_, i) => Math.floor(i / 16) * 100 + (i % 16))
    const x = await decodeXray(writeDicom(greyImage({ rows: 4, columns: 4, bitsAllocated: 8, frames: 3, pixels: frames })))
    assert.deepEqual(Array.from(x.pixels.data), Array.from(frames.subarray(0, 16)))
    assert.equal(x.image.frames, 3)
    assert.ok(x.warnings.some((w) => /multi-frame image \(3 frames\): only the first frame is shown/.test(w)))
  })

  it('reduces RGB to luminance, interleaved or planar', async () => {
    const rgb = [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
      [100, 100, 100]
    ]
    const expected = rgb.map(([r, g, b]) => Math.round(0.299 * r + 0.587 * g + 0.114 * b))
    for (const planar of [0, 1]) {
      const data = planar ? new Uint8Array([0, 1, 2].flatMap((c) => rgb.map((p) => p[c]))) : new Uint8Array(rgb.flat())
      const els: DicomElement[] = greyImage({ rows: 2, columns: 2, bitsAllocated: 8, photometric: 'RGB', pixels: data }).map((e) =>
        e.tag === 0x00280002 ? { ...e, value: 3 } : e
      )
      els.push({ tag: 0x00280006, vr: 'US', value: planar })
      const x = await decodeXray(writeDicom(els))
      assert.deepEqual(Array.from(x.pixels.data), expected, `planar ${planar}`)
      assert.ok(x.warnings.some((w) => /colour image \(RGB\); it is shown in grey/.test(w)))
    }
  })

  it('reduces a colour JPEG (YBR_FULL_422) to the luminance the codec decodes', async () => {
    const rgb = new Uint8Array(16 * 16 * 3).map((_, i) => [200, 60, 20][i % 3])
    const jpeg = new Uint8Array(await sharp(rgb, { raw: { width: 16, height: 16, channels: 3 } }).jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer())
    const els: DicomElement[] = greyImage({ rows: 16, columns: 16, bitsAllocated: 8, photometric: 'YBR_FULL_422', pixels: new Fragments([jpeg]) }).map((e) =>
      e.tag === 0x00280002 ? { ...e, value: 3 } : e
    )
    const x = await decodeXray(writeDicom(els, { transferSyntax: '1.2.840.10008.1.2.4.50' }))
    const expected = 0.299 * 200 + 0.587 * 60 + 0.114 * 20
    for (const v of x.pixels.data) assert.ok(Math.abs(v - expected) <= 3, `${v} vs ${expected}`)
  })

  it('refuses pixel data shorter than one frame, naming the sizes', async () => {
    const bytes = writeDicom(greyImage({ rows: 8, columns: 8, bitsAllocated: 16, pixels: new Uint16Array(10) }))
    await assert.rejects(decodeXray(bytes, { name: 'short.dcm' }), /short\.dcm is truncated: its pixel data holds 20 bytes but a 8×8 frame needs 128/)
  })
})

describe('DICOM worklist metadata', () => {
  const base = (extra: DicomElement[]) => writeDicom(greyImage({ rows: 2, columns: 2, bitsAllocated: 8, pixels: new Uint8Array([0, 50, 100, 200]), extra }))

  it('reads the worklist fields, normalising dates and times', async () => {
    const x = await decodeXray(
      base([
        { tag: 0x00080020, vr: 'DA', value: '20240131' },
        { tag: 0x00080030, vr: 'TM', value: '134502.123' },
        { tag: 0x00080050, vr: 'SH', value: 'ACC-1' },
        { tag: 0x00080070, vr: 'LO', value: 'ACME Imaging' },
        { tag: 0x00081030, vr: 'LO', value: 'Chest two views' },
        { tag: 0x00100010, vr: 'PN', value: 'DOE^JANE^Q^^' },
        { tag: 0x00100020, vr: 'LO', value: 'PID-42' },
        { tag: 0x00100030, vr: 'DA', value: '19700102' },
        { tag: 0x00100040, vr: 'CS', value: 'F' },
        { tag: 0x00180015, vr: 'CS', value: 'CHEST' },
        { tag: 0x00185101, vr: 'CS', value: 'AP' },
        { tag: 0x0020000d, vr: 'UI', value: '1.2.3.10' },
        { tag: 0x0020000e, vr: 'UI', value: '1.2.3.11' },
        { tag: 0x00200013, vr: 'IS', value: '7' },
        { tag: 0x00200062, vr: 'CS', value: 'L' }
      ])
    )
    const m = x.metadata
    assert.equal(m.studyDate, '2024-01-31')
    assert.equal(m.studyTime, '13:45:02')
    assert.equal(m.accessionNumber, 'ACC-1')
    assert.equal(m.manufacturer, 'ACME Imaging')
    assert.equal(m.studyDescription, 'Chest two views')
    assert.equal(m.patientName, 'DOE^JANE^Q')
    assert.equal(formatPersonName(m.patientName), 'DOE, JANE Q')
    assert.equal(m.patientId, 'PID-42')
    assert.equal(m.patientBirthDate, '1970-01-02')
    assert.equal(m.patientSex, 'F')
    assert.equal(m.bodyPart, 'CHEST')
    assert.equal(m.viewPosition, 'AP')
    assert.equal(m.modality, 'DX')
    assert.equal(m.studyInstanceUid, '1.2.3.10')
    assert.equal(m.seriesInstanceUid, '1.2.3.11')
    assert.equal(m.sopInstanceUid, '1.2.3.4.5.6.7')
    assert.equal(m.instanceNumber, 7)
    assert.equal(m.laterality, 'L')
    assert.equal(m.institutionName, null)
  })

  it('decodes names in UTF-8 (ISO_IR 192) and Latin-1 (ISO_IR 100)', async () => {
    const utf8 = await decodeXray(
      base([
        { tag: 0x00080005, vr: 'CS', value: 'ISO_IR 192' },
        { tag: 0x00100010, vr: 'PN', value: new TextEncoder().encode('Müller^Zoë') }
      ])
    )
    assert.equal(utf8.metadata.patientName, 'Müller^Zoë')
    const latin1 = await decodeXray(
      base([
        { tag: 0x00080005, vr: 'CS', value: 'ISO_IR 100' },
        { tag: 0x00100010, vr: 'PN', value: new Uint8Array([0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72, 0x5e, 0x5a, 0x6f, 0xeb]) }
      ])
    )
    assert.equal(latin1.metadata.patientName, 'Müller^Zoë')
  })

  it('takes Imager Pixel Spacing when Pixel Spacing is absent', async () => {
    const x = await decodeXray(base([{ tag: 0x00181164, vr: 'DS', value: '0.139\\0.143' }]))
    assert.deepEqual(x.image.pixelSpacing, { row: 0.139, column: 0.143, source: 'ImagerPixelSpacing' })
    const y = await decodeXray(base([]))
    assert.equal(y.image.pixelSpacing, null)
  })
})
