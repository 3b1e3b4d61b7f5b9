import type { FeatureCache, FeatureEntry, FeatureResult } from '../../../../preload/api'
import { contentHash } from '../db/feature-cache'

export interface ImageBytes {
  bytes: Uint8Array
  name: string
}

/** Asks main for features of images (the `features.extract` channel). */
export type ExtractFeatures = (args: { backbone: string; images: Uint8Array[]; names: string[] }) => Promise<FeatureResult>

/** Images per call to main: keeps each IPC message to a few MB. */
const perCall = 16

/**
 * Backbone features for images, through the renderer's feature cache (Dexie): only images the cache has
 * not seen for this backbone version are sent to main, and what comes back is cached. Re-training a
 * head on the same images therefore never runs the backbone again.
 */
export async function featuresFor(
  images: ImageBytes[],
  backbone: string,
  cache: FeatureCache,
  extract: ExtractFeatures,
  onProgress?: (done: number, total: number) => void
): Promise<FeatureEntry[]> {
  const hashes = await Promise.all(images.map((img) => contentHash(img.bytes)))
  const found = await cache.get(hashes.map((hash) => ({ backbone, hash })))
  const missing = found.flatMap((f, i) => (f ? [] : [i]))
  let done = images.length - missing.length
  onProgress?.(done, images.length)
  for (let start = 0; start < missing.length; start += perCall) {
    const batch = missing.slice(start, start + perCall)
    const result = await extract({ backbone, images: batch.map((i) => images[i].bytes), names: batch.map((i) => images[i].name) })
    if (result.backbone !== backbone) throw new Error(`Main computed features with ${result.backbone}, not ${backbone}.`)
    result.items.forEach((item, k) => {
      if (item.hash !== hashes[batch[k]]) throw new Error(`Main's features for ${images[batch[k]].name} are for other content.`)
      found[batch[k]] = item
    })
    await cache.put(result.items)
    done += batch.length
    onProgress?.(done, images.length)
  }
  return found as FeatureEntry[]
}
