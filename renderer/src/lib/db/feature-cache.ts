import type { FeatureCache, FeatureEntry, FeatureKey } from '../../../../preload/api'
import type { LightboxDB } from './database'

/** A cached feature vector set, keyed by [backbone+hash] (see FeatureCache in preload/api.ts). */
export interface FeatureCacheRecord extends FeatureEntry {
  cachedAt: string
}

/**
 * The renderer's feature cache in Dexie. Derived data, rebuilt by running the backbone again, so its
 * writes are not audited (they change no record anyone reviewed).
 */
export class DexieFeatureCache implements FeatureCache {
  constructor(private readonly db: LightboxDB) {}

  async get(keys: FeatureKey[]): Promise<(FeatureEntry | null)[]> {
    const rows = await this.db.featureCache.bulkGet(keys.map((k) => [k.backbone, k.hash]))
    return rows.map((r) => (r ? { backbone: r.backbone, hash: r.hash, outputs: r.outputs } : null))
  }

  async put(entries: FeatureEntry[]): Promise<void> {
    const cachedAt = new Date().toISOString()
    await this.db.featureCache.bulkPut(entries.map((e) => ({ backbone: e.backbone, hash: e.hash, outputs: e.outputs, cachedAt })))
  }

  async clear(backbone?: string): Promise<number> {
    return backbone ? this.db.featureCache.where('backbone').equals(backbone).delete() : this.db.transaction('rw', this.db.featureCache, async () => {
      const n = await this.db.featureCache.count()
      await this.db.featureCache.clear()
      return n
    })
  }

  count(backbone?: string): Promise<number> {
    return backbone ? this.db.featureCache.where('backbone').equals(backbone).count() : this.db.featureCache.count()
  }
}

/** SHA-256 of a file's bytes, lower-case hex: the cache key main computes the same way. */
export async function contentHash(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('')
}
