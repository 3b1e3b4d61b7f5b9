/**
 * Decoded metaphase images by content hash. Every edit of a cell sends the same file's bytes again; the
 * cache saves decoding them each time. Rebuildable (main keeps no case state): a few entries, oldest out.
 */
import { createHash } from 'node:crypto'
import { readMetaphaseImage, type MetaphaseImage } from '../karyotype/segmentation/load'

const capacity = 6
const cache = new Map<string, Promise<MetaphaseImage>>()

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** The decoded (and, for very large files, shrunk) image of `bytes`; bad input is a LabError naming `name`. */
export async function metaphaseImage(bytes: Uint8Array, name: string): Promise<{ hash: string; read: MetaphaseImage }> {
  const hash = sha256(bytes)
  let entry = cache.get(hash)
  if (entry) {
    cache.delete(hash) // re-insert: most recently used last
  } else {
    entry = readMetaphaseImage(bytes, name)
    entry.catch(() => cache.delete(hash))
  }
  cache.set(hash, entry)
  while (cache.size > capacity) cache.delete(cache.keys().next().value as string)
  return { hash, read: await entry }
}
