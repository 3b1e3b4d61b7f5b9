/**
 * `decodeXray(pathOrBytes)`: any supported X-ray file → DecodedXray (stored values of the first frame,
 * the header's display recipe, worklist metadata). The format is recognised from the bytes, not the name.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { LabError } from '../../errors'
import type { DecodedXray, XrayFormat } from '../types'
import { decodeDicom } from './dicom/decode-dicom'
import { looksLikeDicom } from './dicom/parse-dataset'
import { decodeImageFile } from './image-file'

export interface DecodeOptions {
  /** The name used in messages (defaults to the file's base name, or "image"). */
  name?: string
}

export async function decodeXray(source: string | Uint8Array, options: DecodeOptions = {}): Promise<DecodedXray> {
  const name = options.name ?? (typeof source === 'string' ? path.basename(source) : 'image')
  const bytes = typeof source === 'string' ? await readBytes(source, name) : source
  if (bytes.length === 0) throw new LabError('bad_input', `${name} is empty.`, { file: name })
  const format = sniffFormat(bytes)
  if (format === null) {
    if (/\.(dcm|dicom)$/i.test(name) && bytes.length < 132) {
      throw new LabError('bad_input', `${name} is truncated: ${bytes.length} bytes is too short for a DICOM file.`, { file: name, problem: 'truncated' })
    }
    throw new LabError('unsupported', `${name} is not a DICOM, PNG, JPEG, BMP or TIFF file (it starts with ${hexStart(bytes)}).`, {
      file: name,
      feature: 'file format'
    })
  }
  return format === 'dicom' ? decodeDicom(bytes, name) : decodeImageFile(bytes, format, name)
}

/** The format the bytes are in, by their signature; null when none of Lightbox's. */
export function sniffFormat(bytes: Uint8Array): XrayFormat | null {
  const at = (i: number, ...sig: number[]) => sig.every((b, k) => bytes[i + k] === b)
  // First: a DICOM preamble may itself start like a TIFF (dual-format DICOM/TIFF files).
  if (at(128, 0x44, 0x49, 0x43, 0x4d)) return 'dicom'
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png'
  if (at(0, 0xff, 0xd8, 0xff)) return 'jpeg'
  if (at(0, 0x49, 0x49, 0x2a, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2a) || at(0, 0x49, 0x49, 0x2b, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2b)) return 'tiff'
  if (at(0, 0x42, 0x4d) && bytes.length >= 26) return 'bmp'
  if (looksLikeDicom(bytes)) return 'dicom'
  return null
}

async function readBytes(file: string, name: string): Promise<Uint8Array> {
  try {
    return await readFile(file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new LabError(code === 'ENOENT' ? 'not_found' : 'bad_input', `Could not read ${name}: ${(err as Error).message}`, { file: name })
  }
}

function hexStart(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ')
}
