/**
 * Karyotyping records: every change goes through one Dexie transaction with its audit entry, and
 * nothing of a signed case changes (amend it first: that opens a new result version).
 */
import type { CellAnalysis, ChromosomeImage, MetaphaseAnalysis } from '../../../../preload/karyotype'
import { appendAudit, summarise } from './audit'
import type { LightboxDB } from './database'
import type {
  CellAnalysisRecord,
  CellStatus,
  KaryogramRecord,
  KaryotypeCell,
  KaryotypeResult,
  PlacementOverride,
  ResultCounts
} from './karyotype-records'
import type { Actor, CaseRecord } from './types'

export class CaseLockedError extends Error {
  constructor(accession: string) {
    super(`Case ${accession} is signed and locked: amend the result to change it.`)
    this.name = 'CaseLockedError'
  }
}

/** The case, checked to be an unlocked karyotype case; call inside a transaction that includes db.cases. */
async function openCase(db: LightboxDB, caseId: string): Promise<CaseRecord> {
  const c = await db.cases.get(caseId)
  if (!c) throw new Error(`There is no case with id ${caseId}.`)
  if (c.kind !== 'karyotype') throw new Error(`Case ${c.accession} is not a karyotype case.`)
  if (c.status === 'signed') throw new CaseLockedError(c.accession)
  return c
}

async function cellOf(db: LightboxDB, cellId: string): Promise<KaryotypeCell> {
  const cell = await db.karyotypeCells.get(cellId)
  if (!cell) throw new Error(`There is no cell with id ${cellId}.`)
  return cell
}

export interface ImportedFile {
  name: string
  type: string
  bytes: Uint8Array
}

function analysisRecord(id: string, caseId: string, a: CellAnalysis, chromosomes: ChromosomeImage[], revision: number): CellAnalysisRecord {
  return {
    id,
    caseId,
    segmentation: a.segmentation,
    calls: a.calls,
    dispatch: a.dispatch,
    chromosomes,
    chromosomeScale: a.chromosomeScale,
    classifier: a.classifier,
    revision,
    analysedAt: new Date().toISOString()
  }
}

/**
 * Adds a metaphase cell to a case: the file byte-exact, its thumbnail, and the engine's analysis, with
 * one audit entry, all or nothing.
 */
export async function importCell(
  db: LightboxDB,
  caseId: string,
  file: ImportedFile,
  analysis: MetaphaseAnalysis,
  thumbnail: Blob,
  actor: Actor
): Promise<KaryotypeCell> {
  const now = new Date().toISOString()
  return db.transaction('rw', [db.cases, db.karyotypeCells, db.metaphaseImages, db.cellAnalyses, db.audit], async () => {
    const c = await openCase(db, caseId)
    const last = await db.karyotypeCells.where('[caseId+order]').between([caseId, -Infinity], [caseId, Infinity]).last()
    const cell: KaryotypeCell = {
      id: crypto.randomUUID(),
      caseId,
      order: (last?.order ?? 0) + 1,
      name: file.name,
      mime: file.type || 'application/octet-stream',
      size: file.bytes.byteLength,
      sha256: analysis.sha256,
      width: analysis.segmentation.width,
      height: analysis.segmentation.height,
      status: 'pending',
      engineCount: analysis.segmentation.objects.length,
      count: null,
      excludedReason: '',
      createdAt: now,
      createdBy: actor.id,
      updatedAt: now,
      updatedBy: actor.id
    }
    await db.karyotypeCells.add(cell)
    await db.metaphaseImages.add({
      id: cell.id,
      caseId,
      bytes: new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: cell.mime }),
      thumbnail,
      display: analysis.display
    })
    await db.cellAnalyses.add(analysisRecord(cell.id, caseId, analysis, analysis.chromosomes, 0))
    await appendAudit(db, actor, 'karyotypeCells', cell.id, 'create', null, cell,
      `imported ${file.name} (${file.bytes.byteLength} bytes, sha256 ${analysis.sha256.slice(0, 12)}…): ${cell.engineCount} objects, ${analysis.classifier.id}`)
    if (c.status === 'open') {
      // Work has started on the case.
      const next: CaseRecord = { ...c, status: 'in_review', updatedAt: now, updatedBy: actor.id }
      await db.cases.put(next)
      await appendAudit(db, actor, 'cases', c.id, 'update', c, next)
    }
    return cell
  })
}

/**
 * Stores the analysis after a segmentation edit (or its undo/redo): display images of unchanged objects
 * are kept from the previous analysis, new ones come with `next`. `what` says what was done, for the audit.
 */
export async function saveAnalysis(db: LightboxDB, cellId: string, next: CellAnalysis, what: string, actor: Actor): Promise<CellAnalysisRecord> {
  return db.transaction('rw', [db.cases, db.karyotypeCells, db.cellAnalyses, db.audit], async () => {
    const cell = await cellOf(db, cellId)
    await openCase(db, cell.caseId)
    const current = await db.cellAnalyses.get(cellId)
    if (!current) throw new Error(`Cell ${cell.name} has no analysis to edit.`)
    const images = new Map(current.chromosomes.map((c) => [c.id, c]))
    for (const c of next.chromosomes) images.set(c.id, c)
    const chromosomes = next.segmentation.objects.map((o) => images.get(o.id))
    const missing = next.segmentation.objects.filter((_, i) => !chromosomes[i]).map((o) => o.id)
    if (missing.length) throw new Error(`The analysis of ${cell.name} lacks images for ${missing.join(', ')}.`)
    const record = analysisRecord(cellId, cell.caseId, next, chromosomes as ChromosomeImage[], current.revision + 1)
    await db.cellAnalyses.put(record)
    const ids = (a: { segmentation: { objects: { id: string }[] } }) => a.segmentation.objects.map((o) => o.id)
    const before = { objects: current.segmentation.objects.length, ids: ids(current), revision: current.revision }
    const after = { objects: record.segmentation.objects.length, ids: ids(record), revision: record.revision }
    await appendAudit(db, actor, 'cellAnalyses', cellId, 'update', before, after, `${cell.name}: ${what} (${before.objects} → ${after.objects} objects)`)
    if (cell.engineCount !== after.objects) {
      const updated = { ...cell, engineCount: after.objects, updatedAt: record.analysedAt, updatedBy: actor.id }
      await db.karyotypeCells.put(updated)
    }
    return record
  })
}

async function updateCell(db: LightboxDB, cellId: string, change: (c: KaryotypeCell) => KaryotypeCell, actor: Actor, what?: string): Promise<KaryotypeCell> {
  return db.transaction('rw', [db.cases, db.karyotypeCells, db.audit], async () => {
    const cell = await cellOf(db, cellId)
    await openCase(db, cell.caseId)
    const next = { ...change(structuredClone(cell)), updatedAt: new Date().toISOString(), updatedBy: actor.id }
    await db.karyotypeCells.put(next)
    const summary = summarise('update', cell, next)
    await appendAudit(db, actor, 'karyotypeCells', cellId, 'update', cell, next, what ? `${cell.name}: ${what}; ${summary}` : `${cell.name}: ${summary}`)
    return next
  })
}

/** Records the technologist's count (null clears it); a pending cell becomes counted. */
export function setCellCount(db: LightboxDB, cellId: string, count: number | null, actor: Actor): Promise<KaryotypeCell> {
  if (count !== null && !(Number.isInteger(count) && count >= 0 && count <= 200)) {
    return Promise.reject(new Error(`A chromosome count must be a whole number from 0 to 200 (got ${count}).`))
  }
  return updateCell(db, cellId, (c) => ({
    ...c,
    count,
    status: count === null ? (c.status === 'counted' ? 'pending' : c.status) : c.status === 'pending' ? 'counted' : c.status
  }), actor)
}

/** Sets a cell's status; excluding needs a reason, karyotyping needs a confirmed count. */
export function setCellStatus(db: LightboxDB, cellId: string, status: CellStatus, actor: Actor, reason = ''): Promise<KaryotypeCell> {
  return updateCell(db, cellId, (c) => {
    if (status === 'excluded' && !reason.trim()) throw new Error(`Say why ${c.name} is excluded.`)
    if ((status === 'karyotyped' || status === 'counted') && c.count === null) throw new Error(`Confirm the count of ${c.name} first.`)
    return { ...c, status, excludedReason: status === 'excluded' ? reason.trim() : '' }
  }, actor)
}

/** The karyogram of a cell is finished: its count is confirmed (the placed total if none was) and it is karyotyped. */
export function markKaryotyped(db: LightboxDB, cellId: string, placed: number, actor: Actor): Promise<KaryotypeCell> {
  return updateCell(db, cellId, (c) => {
    if (c.status === 'excluded') throw new Error(`${c.name} is excluded: include it again first.`)
    return { ...c, count: c.count ?? placed, status: 'karyotyped' }
  }, actor, 'karyogram finished')
}

/**
 * Changes where one object sits on a cell's karyogram: `change` is merged into its earlier override, or
 * with `replace` it becomes the override (null removes it: the object follows the engine again; undo).
 */
export async function updatePlacement(
  db: LightboxDB,
  cellId: string,
  objectId: string,
  change: PlacementOverride | null,
  actor: Actor,
  what: string,
  replace = false
): Promise<KaryogramRecord> {
  return db.transaction('rw', [db.cases, db.karyotypeCells, db.karyograms, db.audit], async () => {
    const cell = await cellOf(db, cellId)
    await openCase(db, cell.caseId)
    const now = new Date().toISOString()
    const current = (await db.karyograms.get(cellId)) ?? { id: cellId, caseId: cell.caseId, overrides: {}, updatedAt: now, updatedBy: actor.id }
    const before = current.overrides[objectId] ?? null
    const after: PlacementOverride | null = replace ? change : { ...(before ?? {}), ...(change ?? {}) }
    const overrides = { ...current.overrides }
    if (after) overrides[objectId] = after
    else delete overrides[objectId]
    const next: KaryogramRecord = { ...current, overrides, updatedAt: now, updatedBy: actor.id }
    await db.karyograms.put(next)
    await appendAudit(db, actor, 'karyograms', cellId, 'update', { [objectId]: before }, { [objectId]: after }, `${cell.name}, object ${objectId}: ${what}`)
    return next
  })
}

export function listCells(db: LightboxDB, caseId: string): Promise<KaryotypeCell[]> {
  return db.karyotypeCells.where('[caseId+order]').between([caseId, -Infinity], [caseId, Infinity]).toArray()
}

export function listResults(db: LightboxDB, caseId: string): Promise<KaryotypeResult[]> {
  return db.karyotypeResults.where('[caseId+version]').between([caseId, -Infinity], [caseId, Infinity]).toArray()
}

const resultId = (caseId: string, version: number) => `${caseId}#${version}`

export interface ResultDraft {
  iscn: string
  interpretation: string
  resolution: 400 | 550 | 850
  reportCellId: string | null
}

/** Saves the case's working result (creating version 1 the first time). */
export async function saveResultDraft(db: LightboxDB, caseId: string, draft: ResultDraft, actor: Actor): Promise<KaryotypeResult> {
  return db.transaction('rw', [db.cases, db.karyotypeResults, db.audit], async () => {
    await openCase(db, caseId)
    const versions = await listResults(db, caseId)
    const latest = versions.at(-1)
    const now = new Date().toISOString()
    if (latest && latest.status === 'draft') {
      const next: KaryotypeResult = { ...latest, ...draft, updatedAt: now, updatedBy: actor.id }
      if (JSON.stringify({ ...latest, updatedAt: '' }) === JSON.stringify({ ...next, updatedAt: '' })) return latest
      await db.karyotypeResults.put(next)
      await appendAudit(db, actor, 'karyotypeResults', next.id, 'update', latest, next)
      return next
    }
    if (latest) throw new Error('The latest result is signed: amend it to write a new version.')
    const created: KaryotypeResult = {
      id: resultId(caseId, 1),
      caseId,
      version: 1,
      status: 'draft',
      ...draft,
      counts: null,
      classifier: '',
      signedBy: null,
      signedAt: null,
      amendmentReason: '',
      createdAt: now,
      createdBy: actor.id,
      updatedAt: now,
      updatedBy: actor.id
    }
    await db.karyotypeResults.add(created)
    await appendAudit(db, actor, 'karyotypeResults', created.id, 'create', null, created)
    return created
  })
}

export interface Signature extends ResultDraft {
  counts: ResultCounts
  classifier: string
  signer: Actor & { role: string }
  snapshot?: KaryotypeResult['snapshot']
}

/** Signs the working result: the version is frozen and the case locks. */
export async function signResult(db: LightboxDB, caseId: string, s: Signature, actor: Actor): Promise<KaryotypeResult> {
  if (!s.iscn.trim()) throw new Error('Write the ISCN result before signing.')
  if (s.signer.id !== actor.id) throw new Error('Only the current reviewer can sign.')
  await saveResultDraft(db, caseId, s, actor)
  return db.transaction('rw', [db.cases, db.karyotypeResults, db.audit], async () => {
    const c = await openCase(db, caseId)
    const latest = (await listResults(db, caseId)).at(-1)
    if (!latest || latest.status !== 'draft') throw new Error('There is no draft result to sign.')
    const now = new Date().toISOString()
    const signed: KaryotypeResult = {
      ...latest,
      status: 'signed',
      counts: s.counts,
      classifier: s.classifier,
      signedBy: { id: s.signer.id, name: s.signer.name, role: s.signer.role },
      signedAt: now,
      ...(s.snapshot ? { snapshot: s.snapshot } : {}),
      updatedAt: now,
      updatedBy: actor.id
    }
    await db.karyotypeResults.put(signed)
    await appendAudit(db, actor, 'karyotypeResults', signed.id, 'sign', latest, signed, `signed version ${signed.version}: ${signed.iscn}`)
    const locked: CaseRecord = { ...c, status: 'signed', updatedAt: now, updatedBy: actor.id }
    await db.cases.put(locked)
    await appendAudit(db, actor, 'cases', c.id, 'sign', c, locked, `signed (result version ${signed.version}: ${signed.iscn}); case locked`)
    return signed
  })
}

/** Opens an amendment: a new draft version with the signed text, the case back in review. */
export async function amendResult(db: LightboxDB, caseId: string, reason: string, actor: Actor): Promise<KaryotypeResult> {
  if (!reason.trim()) throw new Error('Say why the signed result is amended.')
  return db.transaction('rw', [db.cases, db.karyotypeResults, db.audit], async () => {
    const c = await db.cases.get(caseId)
    if (!c) throw new Error(`There is no case with id ${caseId}.`)
    const latest = (await listResults(db, caseId)).at(-1)
    if (!latest || latest.status !== 'signed' || c.status !== 'signed') throw new Error(`Case ${c.accession} has no signed result to amend.`)
    const now = new Date().toISOString()
    const version = latest.version + 1
    const draft: KaryotypeResult = {
      ...latest,
      id: resultId(caseId, version),
      version,
      status: 'draft',
      counts: null,
      signedBy: null,
      signedAt: null,
      snapshot: undefined,
      amendmentReason: reason.trim(),
      createdAt: now,
      createdBy: actor.id,
      updatedAt: now,
      updatedBy: actor.id
    }
    await db.karyotypeResults.add(draft)
    await appendAudit(db, actor, 'karyotypeResults', draft.id, 'amend', null, draft, `amendment of version ${latest.version} opened: ${reason.trim()}`)
    const reopened: CaseRecord = { ...c, status: 'in_review', updatedAt: now, updatedBy: actor.id }
    await db.cases.put(reopened)
    await appendAudit(db, actor, 'cases', c.id, 'amend', c, reopened, `amendment opened (version ${version}): ${reason.trim()}`)
    return draft
  })
}

/** Audit entries of a case and of all its karyotyping records, oldest first. */
export async function caseAuditTrail(db: LightboxDB, caseId: string) {
  const cells = await db.karyotypeCells.where('caseId').equals(caseId).primaryKeys()
  const results = await db.karyotypeResults.where('caseId').equals(caseId).primaryKeys()
  const keys: [string, string][] = [
    ['cases', caseId],
    ...cells.flatMap((id): [string, string][] => [['karyotypeCells', id], ['cellAnalyses', id], ['karyograms', id]]),
    ...results.map((id): [string, string] => ['karyotypeResults', id])
  ]
  return db.audit.where('[entity+entityId]').anyOf(keys).sortBy('seq')
}
