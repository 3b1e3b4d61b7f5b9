/**
 * The Image Pixel Module (PS3.3 C.7.6.3): the layout of the pixel data, checked before decoding so that
 * an image Lightbox cannot show is refused with the feature it lacks named.
 */
import type { DataSet } from 'dicom-parser'
import { LabError } from '../../../errors'
import { maxImagePixels } from '../../../imaging/read-image'

export type Photometric =
  | 'MONOCHROME1'
  | 'MONOCHROME2'
  | 'RGB'
  | 'YBR_FULL'
  | 'YBR_FULL_422'
  | 'YBR_RCT'
  | 'YBR_ICT'
  | 'YBR_PARTIAL_420'

const colourPhotometrics: readonly string[] = ['RGB', 'YBR_FULL', 'YBR_FULL_422', 'YBR_RCT', 'YBR_ICT', 'YBR_PARTIAL_420']

export interface PixelModule {
  rows: number
  columns: number
  samplesPerPixel: 1 | 3
  photometric: Photometric
  bitsAllocated: 8 | 16
  bitsStored: number
  highBit: number
  signed: boolean
  /** 0: samples interleaved per pixel (RGBRGB…); 1: one plane per sample (RR…GG…BB…). */
  planarConfiguration: 0 | 1
  frames: number
  /** Things assumed because the header left them out. */
  warnings: string[]
}

const sopClassNames: Record<string, string> = {
  '1.2.840.10008.1.3.10': 'DICOMDIR (media directory)',
  '1.2.840.10008.5.1.4.1.1.88.11': 'Basic Text SR',
  '1.2.840.10008.5.1.4.1.1.88.22': 'Enhanced SR',
  '1.2.840.10008.5.1.4.1.1.88.33': 'Comprehensive SR',
  '1.2.840.10008.5.1.4.1.1.104.1': 'Encapsulated PDF',
  '1.2.840.10008.5.1.4.1.1.11.1': 'Grayscale Softcopy Presentation State',
  '1.2.840.10008.5.1.4.1.1.66': 'Raw Data'
}

export function readPixelModule(ds: DataSet, name: string): PixelModule {
  const warnings: string[] = []
  if (!ds.elements['x7fe00010']) {
    if (ds.elements['x7fe00008'] || ds.elements['x7fe00009']) {
      throw new LabError('unsupported', `${name} holds floating-point pixel data, which is not supported.`, {
        file: name,
        feature: 'float pixel data'
      })
    }
    const sopClass = ds.string('x00080016') ?? ds.string('x00020002') ?? ''
    const what = sopClassNames[sopClass.trim()] ?? (sopClass ? `a DICOM object of class ${sopClass.trim()}` : 'a DICOM object')
    throw new LabError('unsupported', `${name} holds no image (no Pixel Data): it is ${what}.`, { file: name, feature: 'no pixel data' })
  }
  const rows = ds.uint16('x00280010') ?? 0
  const columns = ds.uint16('x00280011') ?? 0
  if (rows === 0 || columns === 0) {
    throw new LabError('bad_input', `${name} does not say its image size (Rows/Columns are missing or zero).`, { file: name })
  }
  if (rows * columns > maxImagePixels) {
    throw new LabError('unsupported', `${name} is ${columns}×${rows} pixels, larger than the ${maxImagePixels / 1e6} MP Lightbox reads.`, {
      file: name,
      feature: 'image size'
    })
  }
  const spp = ds.uint16('x00280002') ?? 1
  if (spp !== 1 && spp !== 3) {
    throw new LabError('unsupported', `${name} has ${spp} samples per pixel; only 1 (grey) and 3 (colour) are supported.`, {
      file: name,
      feature: 'samples per pixel'
    })
  }
  let photometric = (ds.string('x00280004') ?? '').replace(/\0/g, '').trim().toUpperCase()
  if (photometric === '') {
    photometric = spp === 1 ? 'MONOCHROME2' : 'RGB'
    warnings.push(`Photometric Interpretation is missing; read as ${photometric}.`)
  }
  if (photometric === 'PALETTE COLOR') {
    throw new LabError('unsupported', `${name} is a palette colour image, which is not supported.`, { file: name, feature: 'PALETTE COLOR' })
  }
  const grey = photometric === 'MONOCHROME1' || photometric === 'MONOCHROME2'
  if (!grey && !colourPhotometrics.includes(photometric)) {
    throw new LabError('unsupported', `${name} has photometric interpretation ${photometric}, which is not supported.`, {
      file: name,
      feature: photometric
    })
  }
  if ((spp === 1) !== grey) {
    throw new LabError('bad_input', `${name} is inconsistent: ${photometric} with ${spp} samples per pixel.`, { file: name })
  }
  const bitsAllocated = ds.uint16('x00280100') ?? 0
  if (bitsAllocated !== 8 && bitsAllocated !== 16) {
    const what = bitsAllocated === 0 ? 'does not say how many bits each pixel has (Bits Allocated)' : `has ${bitsAllocated}-bit pixels`
    throw new LabError('unsupported', `${name} ${what}; only 8 and 16 bits allocated are supported.`, {
      file: name,
      feature: `bits allocated ${bitsAllocated}`
    })
  }
  let bitsStored = ds.uint16('x00280101') ?? bitsAllocated
  if (bitsStored < 1 || bitsStored > bitsAllocated) {
    warnings.push(`Bits Stored ${bitsStored} is impossible with ${bitsAllocated} bits allocated; read as ${bitsAllocated}.`)
    bitsStored = bitsAllocated
  }
  let highBit = ds.uint16('x00280102') ?? bitsStored - 1
  if (highBit < bitsStored - 1 || highBit >= bitsAllocated) highBit = bitsStored - 1
  const pixelRepresentation = ds.uint16('x00280103') ?? 0
  const planar = spp === 3 ? (ds.uint16('x00280006') ?? 0) : 0
  const framesText = ds.string('x00280008')
  const frames = framesText ? Math.max(1, Number.parseInt(framesText, 10) || 1) : 1
  return {
    rows,
    columns,
    samplesPerPixel: spp,
    photometric: photometric as Photometric,
    bitsAllocated,
    bitsStored,
    highBit,
    signed: pixelRepresentation === 1,
    planarConfiguration: planar === 1 ? 1 : 0,
    frames,
    warnings
  }
}
