/**
 * An image to analyse, as the X-ray pipelines take it (a file, bytes in memory, or an already presented
 * raster), and how it becomes the presented 8-bit grey image the models see. No onnxruntime here: this
 * module runs in the input-preparation worker threads too.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { LabError } from '../../errors'
import type { GreyRaster } from '../../imaging/raster'
import { decodeXray } from '../decode'
import { presentationImage } from '../preprocess/present'

export type FeatureSource = { path: string } | { bytes: Uint8Array; name: string } | { raster: GreyRaster<Uint8Array>; name: string }

export function sourceName(s: FeatureSource): string {
  return 'path' in s ? path.basename(s.path) : s.name
}

/** The file's bytes (read for a path), or null for a raster. */
export async function sourceBytes(s: FeatureSource): Promise<Uint8Array | null> {
  if ('raster' in s) return null
  if ('bytes' in s) return s.bytes
  try {
    return await readFile(s.path)
  } catch (err) {
    throw new LabError('not_found', `Could not read ${s.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file: s.path })
  }
}

/** Decode + default presentation (DICOM windows, MONOCHROME1, 16-bit all handled). */
export async function sourceRaster(s: FeatureSource): Promise<GreyRaster<Uint8Array>> {
  if ('raster' in s) return s.raster
  return presentationImage(await decodeXray((await sourceBytes(s))!, { name: sourceName(s) })).raster
}
