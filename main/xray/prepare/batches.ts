/**
 * Batches of model inputs for a list of sources, in order, prepared ahead on the pool while the caller
 * runs the current batch through the feature network: as many batches in preparation as the pool has
 * workers (one when it prepares on the calling thread).
 */
import type { InputSpec } from '../../ml/registry/manifest'
import type { PreparedBatch } from './prepare-batch'
import { preparePool, type PreparePool } from './prepare-pool'
import type { FeatureSource } from './source'

export interface SourceBatch extends PreparedBatch {
  /** Index of the batch's first source in the whole list. */
  start: number
  /** Sources in the batch (ok and failed). */
  size: number
}

export async function* preparedBatches(sources: FeatureSource[], spec: InputSpec, batchSize: number, pool: PreparePool = preparePool()): AsyncGenerator<SourceBatch> {
  if (!(batchSize >= 1)) throw new Error(`batch size must be at least 1, not ${batchSize}`)
  const ahead: { start: number; size: number; batch: Promise<PreparedBatch> }[] = []
  let next = 0
  const fill = () => {
    while (ahead.length <= pool.parallelism && next < sources.length) {
      const items = sources.slice(next, next + batchSize)
      const batch = pool.prepare(items, spec)
      batch.catch(() => {}) // awaited below; a caller that stops early must not leave it unhandled
      ahead.push({ start: next, size: items.length, batch })
      next += items.length
    }
  }
  fill()
  while (ahead.length > 0) {
    const { start, size, batch } = ahead.shift()!
    const prepared = await batch
    fill()
    yield { start, size, ...prepared }
  }
}
