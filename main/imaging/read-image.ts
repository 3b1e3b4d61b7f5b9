import { readFile } from 'node:fs/promises'
import path from 'node:path'
import sharp from 'sharp'
import { LabError } from '../errors'
import { createGrey, type GreyRaster } from './raster'

/** Refuse images larger than this many pixels before decoding them (a 20000×20000 image is 400 MP). */
export const maxImagePixels = 100_000_000

/**
 * Decodes a PNG/JPEG/TIFF/WebP file (path or bytes) to an 8-bit grey raster with sharp. Errors name the
 * file and the problem. 16-bit and DICOM inputs have their own decoders (main/xray/decode).
 */
export async function readGreyImage(source: string | Uint8Array, name?: string): Promise<GreyRaster<Uint8Array>> {
  const label = name ?? (typeof source === 'string' ? path.basename(source) : 'image')
  let bytes: Uint8Array
  try {
    bytes = typeof source === 'string' ? await readFile(source) : source
  } catch (err) {
    throw new LabError('not_found', `Could not read ${label}: ${(err as Error).message}`, { file: label })
  }
  if (bytes.length === 0) throw new LabError('bad_input', `${label} is empty.`, { file: label })
  let meta
  try {
    meta = await sharp(bytes, { limitInputPixels: maxImagePixels }).metadata()
  } catch (err) {
    throw new LabError('bad_input', `${label} is not a readable image (${(err as Error).message}).`, { file: label })
  }
  if (!meta.width || !meta.height) throw new LabError('bad_input', `${label} has no image size.`, { file: label })
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxImagePixels })
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true })
    const grey = info.channels === 1 ? new Uint8Array(data) : takeFirstChannel(data, info.channels)
    return createGrey(info.width, info.height, grey)
  } catch (err) {
    throw new LabError('bad_input', `${label} could not be decoded: ${(err as Error).message}`, { file: label })
  }
}

function takeFirstChannel(data: Uint8Array, channels: number): Uint8Array {
  const out = new Uint8Array(data.length / channels)
  for (let i = 0; i < out.length; i++) out[i] = data[i * channels]
  return out
}
