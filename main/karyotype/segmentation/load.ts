/**
 * Reading a metaphase image for segmentation, with bounds: unreadable or empty input is a LabError naming
 * the file; images over 100 MP are refused before decoding; images over `maxSegmentPixels` are shrunk by
 * sharp while decoding (the result says so and by how much).
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import sharp from 'sharp'
import { LabError } from '../../errors'
import { createGrey, type GreyRaster } from '../../imaging/raster'
import { maxImagePixels, readGreyImage } from '../../imaging/read-image'

/** Larger images are shrunk to about this many pixels before segmentation (a spread is usually < 2 MP). */
export const maxSegmentPixels = 4_000_000

export interface MetaphaseImage {
  image: GreyRaster<Uint8Array>
  /** Original pixels per pixel of `image` (1 when not shrunk). */
  pixelScale: number
  originalWidth: number
  originalHeight: number
  warnings: string[]
}

export async function readMetaphaseImage(source: string | Uint8Array, name?: string): Promise<MetaphaseImage> {
  const label = name ?? (typeof source === 'string' ? path.basename(source) : 'image')
  let bytes: Uint8Array
  try {
    bytes = typeof source === 'string' ? await readFile(source) : source
  } catch (err) {
    throw new LabError('not_found', `Could not read ${label}: ${(err as Error).message}`, { file: label })
  }
  if (bytes.length === 0) throw new LabError('bad_input', `${label} is empty (0 bytes): it is not an image.`, { file: label })
  let width = 0
  let height = 0
  try {
    // The header alone: cheap even for a huge image, so the size can be checked before decoding.
    const meta = await sharp(bytes, { limitInputPixels: false }).metadata()
    width = meta.width ?? 0
    height = meta.height ?? 0
  } catch (err) {
    throw new LabError('bad_input', `${label} is not a readable image (${(err as Error).message}).`, { file: label })
  }
  if (!width || !height) throw new LabError('bad_input', `${label} has no image size.`, { file: label })
  const pixels = width * height
  if (pixels > maxImagePixels) {
    throw new LabError(
      'unsupported',
      `${label} is ${width}×${height} pixels (${Math.round(pixels / 1e6)} MP); Lightbox reads images up to ${maxImagePixels / 1e6} MP. ` +
        'A metaphase image is a few megapixels: export the field at a lower resolution.',
      { file: label, width, height }
    )
  }
  if (pixels <= maxSegmentPixels) {
    return { image: await readGreyImage(bytes, label), pixelScale: 1, originalWidth: width, originalHeight: height, warnings: [] }
  }
  const factor = Math.sqrt(pixels / maxSegmentPixels)
  const w = Math.max(1, Math.floor(width / factor))
  const h = Math.max(1, Math.floor(height / factor))
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxImagePixels })
      .greyscale()
      .resize(w, h, { fit: 'fill' })
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true })
    return {
      image: createGrey(info.width, info.height, new Uint8Array(data.buffer, data.byteOffset, data.length)),
      pixelScale: width / info.width,
      originalWidth: width,
      originalHeight: height,
      warnings: [
        `${label} is ${width}×${height} pixels; it was shrunk to ${info.width}×${info.height} to segment it ` +
          `(object coordinates are in the shrunk image: multiply by ${(width / info.width).toFixed(3)} for the original).`
      ]
    }
  } catch (err) {
    throw new LabError('bad_input', `${label} could not be decoded: ${(err as Error).message}`, { file: label })
  }
}
