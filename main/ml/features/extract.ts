/**
 * Backbone features for a set of images, through the cache: each image is hashed (SHA-256 of its file's
 * bytes), cached features are reused, and only the misses are decoded, preprocessed as the backbone's
 * manifest says, and run in batches. A thin pipeline: preprocess → runtime → split per image.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { FeatureCache, FeatureEntry } from '../../../preload/api'
import { LabError } from '../../errors'
import type { Raster } from '../../imaging/raster'
import { readGreyImage } from '../../imaging/read-image'
import { imagesToTensor } from '../backbone/preprocess'
import type { ModelManifest } from '../registry/manifest'
import type { ModelSession } from '../runtime'

/** An image file: its path, or its bytes with a name for messages. */
export type ImageFile = { path: string } | { bytes: Uint8Array; name: string }

export interface Backbone {
  /** `name@version`: the cache key's first half. */
  id: string
  manifest: ModelManifest
  session: ModelSession
}

export interface ExtractOptions {
  cache?: FeatureCache | null
  /** Images per run (default 16). */
  batchSize?: number
  /** Decodes a file to a raster; default: 8-bit grey through sharp. DICOM callers pass their decoder. */
  decode?: (bytes: Uint8Array, name: string) => Promise<Raster>
  onProgress?: (done: number, total: number, cached: number) => void
  signal?: AbortSignal
}

export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** The backbone's feature outputs (vectors), as its manifest lists them. */
export function featureOutputs(manifest: ModelManifest): string[] {
  const names = manifest.outputs.filter((o) => o.kind === 'features').map((o) => o.name)
  if (names.length === 0) throw new LabError('invalid_argument', `${manifest.name}@${manifest.version} has no feature outputs: it is not a backbone.`)
  return names
}

async function readImageFile(image: ImageFile): Promise<{ bytes: Uint8Array; name: string }> {
  if ('bytes' in image) return image
  try {
    return { bytes: await readFile(image.path), name: path.basename(image.path) }
  } catch (err) {
    throw new LabError('not_found', `Could not read ${image.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file: image.path })
  }
}

export async function extractFeatures(backbone: Backbone, images: ImageFile[], options: ExtractOptions = {}): Promise<FeatureEntry[]> {
  const batchSize = options.batchSize ?? 16
  const decode = options.decode ?? ((bytes: Uint8Array, name: string) => readGreyImage(bytes, name))
  const input = backbone.manifest.inputs[0]
  const outputs = featureOutputs(backbone.manifest)
  const results: (FeatureEntry | null)[] = new Array(images.length).fill(null)

  // Hash in small groups so that a large set is never all in memory at once.
  const pending: { index: number; hash: string; source: ImageFile }[] = []
  for (let start = 0; start < images.length; start += 64) {
    const group = images.slice(start, start + 64)
    const hashed = await Promise.all(group.map(async (img) => contentHash((await readImageFile(img)).bytes)))
    const cached = options.cache ? await options.cache.get(hashed.map((hash) => ({ backbone: backbone.id, hash }))) : hashed.map(() => null)
    hashed.forEach((hash, i) => {
      const hit = cached[i]
      if (hit && outputs.every((o) => hit.outputs[o]?.length)) results[start + i] = hit
      else pending.push({ index: start + i, hash, source: group[i] })
    })
  }
  const fromCache = images.length - pending.length
  let done = fromCache
  options.onProgress?.(done, images.length, fromCache)

  // Decode and preprocess the next batch while onnxruntime runs this one (its threads, not the event loop).
  const prepare = async (start: number) => {
    const batch = pending.slice(start, start + batchSize)
    const rasters = await Promise.all(
      batch.map(async (p) => {
        const file = await readImageFile(p.source)
        return decode(file.bytes, file.name)
      })
    )
    return { batch, tensor: imagesToTensor(rasters, input) }
  }
  let next = pending.length > 0 ? prepare(0) : null
  for (let start = 0; next; start += batchSize) {
    if (options.signal?.aborted) throw new LabError('cancelled', 'Feature extraction was cancelled.')
    const { batch, tensor } = await next
    const running = backbone.session.run({ [input.name]: tensor }, outputs)
    next = start + batchSize < pending.length ? prepare(start + batchSize) : null
    // A failed prefetch surfaces when it is awaited, not as an unhandled rejection meanwhile.
    next?.catch(() => {})
    const out = await running
    const entries = batch.map((p, i): FeatureEntry => {
      const vectors: FeatureEntry['outputs'] = {}
      for (const name of outputs) {
        const t = out[name]
        const width = t.data.length / batch.length
        vectors[name] = Float32Array.from((t.data as Float32Array).subarray(i * width, (i + 1) * width))
      }
      return { backbone: backbone.id, hash: p.hash, outputs: vectors }
    })
    await options.cache?.put(entries)
    entries.forEach((e, i) => (results[batch[i].index] = e))
    done += batch.length
    options.onProgress?.(done, images.length, fromCache)
  }
  return results as FeatureEntry[]
}
