import { z } from 'zod'
import { auditedCreate, auditedUpdate } from './audit'
import type { LightboxDB } from './database'
import { caseKinds, type Actor, type CaseKind, type CaseRecord, type CaseStatus } from './types'

export const newCaseSchema = z.object({
  kind: z.enum(caseKinds),
  accession: z
    .string()
    .trim()
    .min(1, 'Accession number is required')
    .max(40, 'Accession number is at most 40 characters')
    .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, 'Accession number may hold letters, digits and . _ / - only'),
  patientPseudonym: z.string().trim().min(1, 'Patient pseudonym is required').max(80),
  specimen: z.string().trim().max(200).default(''),
  indication: z.string().trim().max(500).default(''),
  priority: z.enum(['routine', 'urgent']).default('routine')
})
export type NewCase = z.input<typeof newCaseSchema>

export const caseEditSchema = newCaseSchema.omit({ kind: true }).partial()
export type CaseEdit = z.input<typeof caseEditSchema>

export class CaseValidationError extends Error {
  constructor(readonly issues: { field: string; message: string }[]) {
    super(issues.map((i) => i.message).join('; '))
    this.name = 'CaseValidationError'
  }
}

function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input)
  if (!parsed.success) {
    throw new CaseValidationError(parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })))
  }
  return parsed.data
}

export async function createCase(db: LightboxDB, input: NewCase, actor: Actor): Promise<CaseRecord> {
  const data = parseOrThrow(newCaseSchema, input)
  const existing = await db.cases.where('accession').equals(data.accession).first()
  if (existing) {
    throw new CaseValidationError([{ field: 'accession', message: `Accession number ${data.accession} is already used` }])
  }
  const now = new Date().toISOString()
  const record: CaseRecord = {
    id: crypto.randomUUID(),
    ...data,
    status: 'open',
    archived: 0,
    createdAt: now,
    createdBy: actor.id,
    updatedAt: now,
    updatedBy: actor.id
  }
  return auditedCreate(db, db.cases, record, actor)
}

export async function updateCase(db: LightboxDB, id: string, edit: CaseEdit, actor: Actor): Promise<CaseRecord> {
  const data = parseOrThrow(caseEditSchema, edit)
  if (data.accession !== undefined) {
    const clash = await db.cases.where('accession').equals(data.accession).first()
    if (clash && clash.id !== id) {
      throw new CaseValidationError([{ field: 'accession', message: `Accession number ${data.accession} is already used` }])
    }
  }
  return auditedUpdate(db, db.cases, id, (current) => {
    if (current.status === 'signed') throw new Error('A signed case is locked: amend it instead.')
    return { ...current, ...data, updatedAt: new Date().toISOString(), updatedBy: actor.id }
  }, actor)
}

export async function setArchived(db: LightboxDB, id: string, archived: boolean, actor: Actor): Promise<CaseRecord> {
  return auditedUpdate(
    db,
    db.cases,
    id,
    (current) => ({ ...current, archived: archived ? 1 : 0, updatedAt: new Date().toISOString(), updatedBy: actor.id }),
    actor,
    archived ? 'archive' : 'unarchive'
  )
}

export async function setStatus(db: LightboxDB, id: string, status: CaseStatus, actor: Actor): Promise<CaseRecord> {
  return auditedUpdate(db, db.cases, id, (current) => ({
    ...current,
    status,
    updatedAt: new Date().toISOString(),
    updatedBy: actor.id
  }), actor)
}

export interface CaseQuery {
  /** Matched, case-insensitively, against accession, pseudonym, specimen and indication. */
  text?: string
  kind?: CaseKind | 'all'
  status?: CaseStatus | 'all'
  archived?: 'active' | 'archived' | 'all'
  limit?: number
}

/** Cases matching the query, most recently updated first. */
export async function findCases(db: LightboxDB, query: CaseQuery = {}): Promise<CaseRecord[]> {
  const archived = query.archived ?? 'active'
  const collection =
    archived === 'all'
      ? db.cases.orderBy('updatedAt').reverse()
      : db.cases
          .where('[archived+updatedAt]')
          .between([archived === 'archived' ? 1 : 0, ''], [archived === 'archived' ? 1 : 0, '\uffff'])
          .reverse()
  const needle = query.text?.trim().toLowerCase() ?? ''
  return collection
    .filter(
      (c) =>
        (query.kind === undefined || query.kind === 'all' || c.kind === query.kind) &&
        (query.status === undefined || query.status === 'all' || c.status === query.status) &&
        (needle === '' ||
          [c.accession, c.patientPseudonym, c.specimen, c.indication].some((f) => f.toLowerCase().includes(needle)))
    )
    .limit(query.limit ?? 500)
    .toArray()
}

export function getCase(db: LightboxDB, id: string): Promise<CaseRecord | undefined> {
  return db.cases.get(id)
}
