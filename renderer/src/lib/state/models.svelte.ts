import type { ModelSummary } from '../../../../preload/api'
import { db } from '../db'
import { DexieFeatureCache } from '../db/feature-cache'
import { syncModels, type ModelChange } from '../db/models'
import { call } from '../ipc/client'
import { session } from './session.svelte'

/** The models of one slot (a task, or task/variant), of which one is active. */
export interface TaskGroup {
  slot: string
  models: ModelSummary[]
  active: ModelSummary | null
}

/**
 * The Models screen's state: main owns the model files (the registry); every list that comes back is
 * mirrored into Dexie with audit entries naming the reviewer and the action.
 */
export class ModelsState {
  #models = $state.raw<ModelSummary[]>([])
  #loaded = $state(false)
  #busy = $state<string | null>(null)
  #cached = $state<number | null>(null)
  readonly featureCache = new DexieFeatureCache(db)

  groups = $derived.by((): TaskGroup[] => {
    const slots = [...new Set(this.#models.map((m) => m.slot))]
    return slots.map((slot) => {
      const models = this.#models.filter((m) => m.slot === slot)
      return { slot, models, active: models.find((m) => m.active) ?? null }
    })
  })

  get models(): ModelSummary[] {
    return this.#models
  }

  get loaded(): boolean {
    return this.#loaded
  }

  /** What is running now, in words, or null. */
  get busy(): string | null {
    return this.#busy
  }

  /** Feature sets cached in this database (all backbones). */
  get cached(): number | null {
    return this.#cached
  }

  async #apply(list: ModelSummary[], change: ModelChange): Promise<void> {
    await syncModels(db, list, session.actor, change)
    this.#models = list
    this.#loaded = true
  }

  async #run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.#busy = what
    try {
      return await fn()
    } finally {
      this.#busy = null
    }
  }

  async load(): Promise<void> {
    await this.#apply(await call('models.list', {}), null)
    this.#cached = await this.featureCache.count()
  }

  async importFiles(model: File, manifest: File): Promise<ModelSummary> {
    return this.#run(`Checking ${model.name}…`, async () => {
      const imported = await call('models.import', {
        fileName: model.name,
        model: new Uint8Array(await model.arrayBuffer()),
        manifestName: manifest.name,
        manifest: await manifest.text()
      })
      await this.#apply(await call('models.list', {}), { id: imported.id, what: 'imported' })
      return imported
    })
  }

  promote(id: string): Promise<void> {
    return this.#run(`Making ${id} active…`, async () => this.#apply(await call('models.promote', { id }), { id, what: 'promoted' }))
  }

  rollback(slot: string): Promise<void> {
    return this.#run(`Rolling back ${slot}…`, async () => {
      const list = await call('models.rollback', { slot })
      const now = list.find((m) => m.slot === slot && m.active)
      await this.#apply(list, now ? { id: now.id, what: 'rolled back to' } : null)
    })
  }

  remove(id: string, replacement?: string): Promise<void> {
    return this.#run(`Deleting ${id}…`, async () => {
      const list = await call('models.delete', replacement ? { id, replacement } : { id })
      await this.#apply(list, { id, what: replacement ? `deleted (replaced by ${replacement})` : 'deleted' })
    })
  }

  /** Loads onnxruntime and tries the devices now; the status arrives by event too. */
  probe(): Promise<unknown> {
    return this.#run('Trying the inference devices…', () => call('inference.probe', {}))
  }

  async clearFeatureCache(): Promise<number> {
    const n = await this.featureCache.clear()
    this.#cached = await this.featureCache.count()
    return n
  }
}

export const models = new ModelsState()
