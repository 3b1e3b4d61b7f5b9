import type { Table } from 'dexie'
import type { LightboxDB } from './database'
import type { Actor, AuditAction, AuditEntry } from './types'

/**
 * Appends one audit entry. Must be called inside a Dexie transaction that includes `db.audit` and the
 * changed table, so the change and its audit entry are stored together or not at all.
 */
export async function appendAudit(
  db: LightboxDB,
  actor: Actor,
  entity: string,
  entityId: string,
  action: AuditAction,
  before: unknown,
  after: unknown,
  summary = summarise(action, before, after)
): Promise<void> {
  if (!actor.id) throw new Error('Every change must name the reviewer who made it.')
  await db.audit.add({
    at: new Date().toISOString(),
    reviewerId: actor.id,
    reviewerName: actor.name,
    entity,
    entityId,
    action,
    summary,
    before: structuredClone(before ?? null),
    after: structuredClone(after ?? null)
  })
}

/** "status: open → signed; indication: '' → 'Recurrent miscarriage'" */
export function summarise(action: AuditAction, before: unknown, after: unknown): string {
  if (action === 'create' || before == null) return 'created'
  if (action === 'delete' || after == null) return 'deleted'
  const a = before as Record<string, unknown>
  const b = after as Record<string, unknown>
  const changed = Object.keys({ ...a, ...b }).filter(
    (k) => !['updatedAt', 'updatedBy'].includes(k) && JSON.stringify(a[k]) !== JSON.stringify(b[k])
  )
  if (changed.length === 0) return action
  return changed.map((k) => `${k}: ${show(a[k])} → ${show(b[k])}`).join('; ')
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? `'${value}'` : JSON.stringify(value)
  return text === undefined ? '—' : text.length > 60 ? text.slice(0, 57) + '…' : text
}

/** Generic audited writes for tables keyed by a string `id`. */
export async function auditedCreate<T extends { id: string }>(
  db: LightboxDB,
  table: Table<T, string>,
  record: T,
  actor: Actor
): Promise<T> {
  await db.transaction('rw', table, db.audit, async () => {
    await table.add(record)
    await appendAudit(db, actor, table.name, record.id, 'create', null, record)
  })
  return record
}

export async function auditedUpdate<T extends { id: string }>(
  db: LightboxDB,
  table: Table<T, string>,
  id: string,
  change: (current: T) => T,
  actor: Actor,
  action: AuditAction = 'update'
): Promise<T> {
  return db.transaction('rw', table, db.audit, async () => {
    const current = await table.get(id)
    if (!current) throw new Error(`No ${table.name} record with id ${id}.`)
    const next = change(structuredClone(current))
    await table.put(next)
    await appendAudit(db, actor, table.name, id, action, current, next)
    return next
  })
}

export async function auditedDelete<T extends { id: string }>(
  db: LightboxDB,
  table: Table<T, string>,
  id: string,
  actor: Actor
): Promise<void> {
  await db.transaction('rw', table, db.audit, async () => {
    const current = await table.get(id)
    if (!current) return
    await table.delete(id)
    await appendAudit(db, actor, table.name, id, 'delete', current, null)
  })
}

export function auditTrail(db: LightboxDB, entity: string, entityId: string): Promise<AuditEntry[]> {
  return db.audit.where('[entity+entityId]').equals([entity, entityId]).sortBy('seq')
}
