import type { ModelSummary } from '../../../../preload/api'
import { appendAudit, summarise } from './audit'
import type { LightboxDB } from './database'
import type { Actor } from './types'

/** The renderer's mirror of one registry model (main owns the files; this is its metadata). */
export interface ModelRecord extends ModelSummary {
  syncedAt: string
}

/** What changed in the registry, for the audit log: e.g. 'imported', 'promoted', 'rolled back'. */
export type ModelChange = { id: string; what: string } | null

/**
 * Mirrors the registry's list into Dexie in one transaction, with an audit entry for every model that
 * appeared, disappeared or changed (active state, availability). `change` names the user action that
 * caused it, so the audit says "promoted" rather than only what differs.
 */
export async function syncModels(db: LightboxDB, models: ModelSummary[], actor: Actor, change: ModelChange = null): Promise<void> {
  const syncedAt = new Date().toISOString()
  await db.transaction('rw', db.models, db.audit, async () => {
    const before = new Map((await db.models.toArray()).map((m) => [m.id, m]))
    for (const m of models) {
      const old = before.get(m.id)
      before.delete(m.id)
      const record: ModelRecord = { ...m, syncedAt }
      if (!old) {
        await db.models.put(record)
        await appendAudit(db, actor, 'models', m.id, 'create', null, record, change?.id === m.id ? change.what : 'registered')
      } else if (old.active !== m.active || old.available !== m.available || old.sha256 !== m.sha256) {
        await db.models.put(record)
        const b = { active: old.active, available: old.available, sha256: old.sha256 }
        const a = { active: m.active, available: m.available, sha256: m.sha256 }
        const summary = change?.id === m.id ? `${change.what}; ${summarise('update', b, a)}` : summarise('update', b, a)
        await appendAudit(db, actor, 'models', m.id, 'update', b, a, summary)
      }
    }
    for (const gone of before.values()) {
      await db.models.delete(gone.id)
      await appendAudit(db, actor, 'models', gone.id, 'delete', gone, null, change?.id === gone.id ? change.what : 'no longer in the registry')
    }
  })
}

export function listModelRecords(db: LightboxDB): Promise<ModelRecord[]> {
  return db.models.toArray()
}
