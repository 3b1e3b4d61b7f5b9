/**
 * PNG, JPEG and TIFF (8 and 16 bit, through sharp/libvips) and BMP (through bmp-ts) → DecodedXray.
 * Colour is reduced to luminance; 16-bit images keep their 16-bit values for windowing.
 */
import { decode as decodeBmpImage } from 'bmp-ts'
import sharp, { type Metadata, type OutputInfo } from 'sharp'
import { LabError } from '../../errors'
import { maxImagePixels } from '../../imaging/read-image'
import type { DecodedXray, PixelTransforms, StoredRaster, XrayFormat, XrayMetadata } from '../types'
import { copy16 } from './codecs/samples'
import { lazyValueRange } from './dicom/stored-pixels'

export const emptyMetadata: Readonly<XrayMetadata> = Object.freeze({
  patientId: null,
  patientName: null,
  patientSex: null,
  patientAge: null,
  patientBirthDate: null,
  accessionNumber: null,
  studyInstanceUid: null,
  seriesInstanceUid: null,
  sopInstanceUid: null,
  sopClassUid: null,
  modality: null,
  viewPosition: null,
  laterality: null,
  bodyPart: null,
  studyDate: null,
  studyTime: null,
  studyDescription: null,
  seriesDescription: null,
  seriesNumber: null,
  instanceNumber: null,
  institutionName: null,
  manufacturer: null,
  manufacturerModelName: null
})

const identityTransforms = (): PixelTransforms => ({
  rescale: { slope: 1, intercept: 0, type: null },
  modalityLut: null,
  windows: [],
  voiLuts: [],
  invert: false,
  padding: null
})

export async function decodeImageFile(bytes: Uint8Array, format: Exclude<XrayFormat, 'dicom'>, name: string): Promise<DecodedXray> {
  if (format === 'bmp') return decodeBmp(bytes, name)
  let meta: Metadata
  try {
    meta = await sharp(bytes, { limitInputPixels: maxImagePixels }).metadata()
  } catch (err) {
    throw imageError(err, name, format)
  }
  const depth = meta.depth ?? 'uchar'
  if (depth !== 'uchar' && depth !== 'ushort') {
    throw new LabError('unsupported', `${name} has ${depthWords[depth] ?? depth} samples; only 8- and 16-bit ${format.toUpperCase()} images are supported.`, {
      file: name,
      feature: `${format} sample format ${depth}`
    })
  }
  const sixteen = depth === 'ushort'
  let raw: { data: Buffer; info: OutputInfo }
  try {
    // .rotate() with no angle applies the EXIF orientation, as other viewers show the image.
    let pipeline = sharp(bytes, { limitInputPixels: maxImagePixels }).rotate().removeAlpha()
    pipeline = sixteen ? pipeline.toColourspace('grey16') : pipeline.greyscale()
    raw = await pipeline.raw(sixteen ? { depth: 'ushort' } : {}).toBuffer({ resolveWithObject: true })
  } catch (err) {
    throw imageError(err, name, format)
  }
  const { width, height, channels } = raw.info
  const pixels: StoredRaster = {
    width,
    height,
    channels: 1,
    data: sixteen ? firstChannel16(raw.data, channels) : firstChannel8(raw.data, channels)
  }
  const range = lazyValueRange(pixels.data)
  const warnings: string[] = []
  if ((meta.pages ?? 1) > 1) warnings.push(`This ${format.toUpperCase()} has ${meta.pages} pages: only the first is shown.`)
  const colour = (meta.channels ?? 1) >= 3
  return {
    name,
    format,
    pixels,
    get range() {
      return range()
    },
    transforms: identityTransforms(),
    image: {
      width,
      height,
      photometric: colour ? 'RGB' : 'MONOCHROME2',
      samplesPerPixel: colour ? 3 : 1,
      bitsAllocated: sixteen ? 16 : 8,
      bitsStored: sixteen ? 16 : 8,
      signed: false,
      frames: meta.pages ?? 1,
      transferSyntax: null,
      lossy: format === 'jpeg',
      pixelSpacing: null
    },
    metadata: { ...emptyMetadata },
    warnings
  }
}

const depthWords: Record<string, string> = {
  char: 'signed 8-bit',
  short: 'signed 16-bit',
  uint: '32-bit',
  int: 'signed 32-bit',
  float: '32-bit floating-point',
  double: '64-bit floating-point',
  complex: 'complex',
  dpcomplex: 'complex'
}

function firstChannel8(data: Buffer, channels: number): Uint8Array {
  if (channels === 1) return new Uint8Array(data)
  const out = new Uint8Array(data.length / channels)
  for (let i = 0; i < out.length; i++) out[i] = data[i * channels]
  return out
}

function firstChannel16(data: Buffer, channels: number): Uint16Array {
  const all = copy16(data, false) as Uint16Array
  if (channels === 1) return all
  const out = new Uint16Array(all.length / channels)
  for (let i = 0; i < out.length; i++) out[i] = all[i * channels]
  return out
}

function imageError(err: unknown, name: string, format: string): LabError {
  const text = err instanceof Error ? err.message : String(err)
  if (/pixel limit/i.test(text)) {
    return new LabError('unsupported', `${name} is larger than the ${maxImagePixels / 1e6} MP Lightbox reads.`, { file: name, feature: 'image size' })
  }
  const truncated = /premature end|truncated|unexpected end|end of (file|stream)|not enough data|read error|short read/i.test(text)
  const what = truncated ? `is truncated: the ${format.toUpperCase()} data ends early` : `is damaged: it is not a readable ${format.toUpperCase()}`
  return new LabError('bad_input', `${name} ${what} (${firstLine(text)}).`, { file: name, problem: truncated ? 'truncated' : 'corrupt' })
}

function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean)[0] ?? text
}

/**
 * BMP through bmp-ts, which gives A,B,G,R bytes per pixel for 1/4/8/16/24/32-bit images (its RGBA option
 * and its RLE paths put bytes in the wrong places, so neither is used: RLE-compressed BMP is refused).
 */
function decodeBmp(bytes: Uint8Array, name: string): DecodedXray {
  if (bytes.length < 34) throw new LabError('bad_input', `${name} is truncated: too short for a BMP header.`, { file: name, problem: 'truncated' })
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const declaredSize = view.getUint32(2, true)
  const dataOffset = view.getUint32(10, true)
  if (dataOffset >= bytes.length || (declaredSize > bytes.length && declaredSize - bytes.length > 2)) {
    throw new LabError('bad_input', `${name} is truncated: the BMP says ${declaredSize} bytes but the file has ${bytes.length}.`, {
      file: name,
      problem: 'truncated'
    })
  }
  const compression = view.getUint32(30, true)
  if (compression === 1 || compression === 2) {
    throw new LabError('unsupported', `${name} is a run-length compressed BMP (RLE${compression === 1 ? 8 : 4}), which is not supported.`, {
      file: name,
      feature: 'RLE-compressed BMP'
    })
  }
  let decoded: { width: number; height: number; data: Buffer }
  try {
    decoded = decodeBmpImage(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  } catch (err) {
    throw new LabError('bad_input', `${name} is damaged: it is not a readable BMP (${err instanceof Error ? err.message : String(err)}).`, {
      file: name,
      problem: 'corrupt'
    })
  }
  const { width, height, data } = decoded
  if (!(width > 0 && height > 0) || width * height > maxImagePixels || data.length < width * height * 4) {
    throw new LabError('bad_input', `${name} is damaged: its BMP header gives an impossible size (${width}×${height}).`, { file: name, problem: 'corrupt' })
  }
  const grey = new Uint8Array(width * height)
  let colour = false
  for (let p = 0, i = 0; p < grey.length; p++, i += 4) {
    const b = data[i + 1]
    const g = data[i + 2]
    const r = data[i + 3]
    if (r !== g || g !== b) colour = true
    grey[p] = Math.round(0.299 * r + 0.587 * g + 0.114 * b)
  }
  const pixels: StoredRaster = { width, height, channels: 1, data: grey }
  const range = lazyValueRange(grey)
  return {
    name,
    format: 'bmp',
    pixels,
    get range() {
      return range()
    },
    transforms: identityTransforms(),
    image: {
      width,
      height,
      photometric: colour ? 'RGB' : 'MONOCHROME2',
      samplesPerPixel: colour ? 3 : 1,
      bitsAllocated: 8,
      bitsStored: 8,
      signed: false,
      frames: 1,
      transferSyntax: null,
      lossy: false,
      pixelSpacing: null
    },
    metadata: { ...emptyMetadata },
    warnings: colour ? ['This is a colour image; it is shown in grey.'] : []
  }
}
