/** A DICOM Part 10 file (or bare data set) → DecodedXray: header, first frame, transforms, metadata. */
import type { DecodedXray } from '../../types'
import { decodeFirstFrame } from './decode-frame'
import { readMetadata, readPixelSpacing } from './metadata'
import { parseDicomBytes } from './parse-dataset'
import { readPixelModule } from './pixel-module'
import { readPixelTransforms } from './pixel-transforms'
import { lazyValueRange, toStoredPixels, valueRangeOutside } from './stored-pixels'
import { textReader } from './text'
import { transferSyntax } from './transfer-syntax'

export async function decodeDicom(bytes: Uint8Array, name: string): Promise<DecodedXray> {
  const { dataSet: ds, transferSyntaxUid } = parseDicomBytes(bytes, name)
  const syntax = transferSyntax(transferSyntaxUid)
  const pm = readPixelModule(ds, name)
  const samples = await decodeFirstFrame(ds, pm, syntax, name)
  // RLE is lossless byte packing of the native words: their bits and colour space are read as native ones.
  const nativeWords = syntax.codec === 'native' || syntax.codec === 'native-big-endian' || syntax.codec === 'rle'
  const stored = toStoredPixels(samples, pm, !nativeWords)
  const text = textReader(ds)
  const { transforms, warnings: transformWarnings } = readPixelTransforms(ds, pm, text)
  const range = lazyValueRange(stored.raster.data)
  const padding = transforms.padding
  if (padding && padding.to >= range().min && padding.from <= range().max) {
    padding.valueRange = valueRangeOutside(stored.raster.data, padding.from, padding.to)
  } else if (padding) {
    padding.valueRange = range() // no pixel is padding
  }
  const warnings = [...pm.warnings, ...stored.warnings, ...transformWarnings]
  if (pm.frames > 1) warnings.push(`This is a multi-frame image (${pm.frames} frames): only the first frame is shown.`)
  if (text.warning) warnings.push(text.warning)
  const lossyFlag = (ds.string('x00282110') ?? '').trim() === '01'
  return {
    name,
    format: 'dicom',
    pixels: stored.raster,
    get range() {
      return range()
    },
    transforms,
    image: {
      width: pm.columns,
      height: pm.rows,
      photometric: pm.photometric,
      samplesPerPixel: pm.samplesPerPixel,
      bitsAllocated: pm.bitsAllocated,
      bitsStored: pm.bitsStored,
      signed: pm.signed,
      frames: pm.frames,
      transferSyntax: { uid: syntax.uid, name: syntax.name },
      lossy: syntax.lossy || lossyFlag,
      pixelSpacing: readPixelSpacing(ds)
    },
    metadata: readMetadata(ds, text),
    warnings
  }
}
