import 'fake-indexeddb/auto'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { after, before, beforeEach, describe, it } from 'node:test'
import Dexie from 'dexie'
import { repoRoot } from '../../../main/app/paths'
import { analyseMetaphase, editCell } from '../../../main/karyotype-ipc/analyse'
import { ruleClassifier } from '../../../main/karyotype-ipc/classify'
import type { MetaphaseAnalysis } from '../../../preload/karyotype'
import { auditTrail } from '../../../renderer/src/lib/db/audit'
import { createCase, updateCase } from '../../../renderer/src/lib/db/cases'
import { LightboxDB } from '../../../renderer/src/lib/db/database'
import {
  amendResult,
  CaseLockedError,
  caseAuditTrail,
  importCell,
  listCells,
  listResults,
  saveAnalysis,
  saveResultDraft,
  setCellCount,
  setCellStatus,
  signResult,
  updatePlacement
} from '../../../renderer/src/lib/db/karyotype'
import { createReviewer } from '../../../renderer/src/lib/db/reviewers'
import type { Actor } from '../../../renderer/src/lib/db/types'

const spreads = path.join(repoRoot, '..', 'shared', 'datasets', 'chromosomes', 'metaphases', 'cabinh', 'spreads')
const file = '8129A.013.A.png'

describe('karyotype records (Dexie v3 over fake-indexeddb)', () => {
  let bytes: Uint8Array
  let analysis: MetaphaseAnalysis
  let db: LightboxDB
  let actor: Actor
  let caseId: string

  before(async () => {
    bytes = new Uint8Array(await readFile(path.join(spreads, file)))
    analysis = await analyseMetaphase(bytes, file, 'auto', ruleClassifier)
  })

  beforeEach(async () => {
    db = new LightboxDB(`kt-${crypto.randomUUID()}`)
    const r = await createReviewer(db, { name: 'Ana Costa', initials: 'AC', role: 'cytogeneticist' })
    actor = { id: r.id, name: r.name }
    caseId = (await createCase(db, { kind: 'karyotype', accession: `CG-${crypto.randomUUID().slice(0, 6)}`, patientPseudonym: 'P-1' }, actor)).id
  })
  after(async () => {
    await db?.delete()
  })

  it('upgrades a version-2 database to version 3, keeping its cases and adding the karyotyping tables', async () => {
    const name = `upgrade-${crypto.randomUUID()}`
    const v2 = new Dexie(name)
    v2.version(1).stores({ cases: 'id, &accession, kind, status, archived, updatedAt, [archived+updatedAt]', reviewers: 'id, name, active', audit: '++seq, at, [entity+entityId], reviewerId' })
    v2.version(2).stores({ models: 'id, name, task, source', featureCache: '[backbone+hash], backbone' })
    await v2.open()
    await v2.table('cases').add({ id: 'c1', accession: 'OLD-1', kind: 'karyotype', status: 'open', archived: 0, updatedAt: 'x' })
    v2.close()
    const upgraded = new LightboxDB(name)
    await upgraded.open()
    assert.equal(upgraded.verno, 3)
    assert.equal((await upgraded.cases.get('c1'))?.accession, 'OLD-1')
    assert.deepEqual(await upgraded.karyotypeCells.toArray(), [])
    assert.ok(upgraded.tables.some((t) => t.name === 'karyotypeResults'))
    await upgraded.delete()
  })

  it('imports a cell with the file byte-exact, its analysis and one audit entry', async () => {
    const cell = await importCell(db, caseId, { name: file, type: 'image/png', bytes }, analysis, new Blob(['thumb']), actor)
    assert.equal(cell.order, 1)
    assert.equal(cell.engineCount, analysis.segmentation.objects.length)
    const stored = await db.metaphaseImages.get(cell.id)
    const back = new Uint8Array(await stored!.bytes.arrayBuffer())
    assert.equal(back.length, bytes.length)
    assert.ok(back.every((v, i) => v === bytes[i]), 'stored bytes differ from the file')
    assert.equal((await db.cellAnalyses.get(cell.id))?.chromosomes.length, analysis.segmentation.objects.length)
    const trail = await auditTrail(db, 'karyotypeCells', cell.id)
    assert.equal(trail.length, 1)
    assert.match(trail[0].summary, new RegExp(`imported ${file.replace(/\./g, '\\.')}`))
    assert.equal((await db.cases.get(caseId))?.status, 'in_review', 'the first import puts the case in review')
    const second = await importCell(db, caseId, { name: 'b.png', type: 'image/png', bytes }, analysis, new Blob(['t']), actor)
    assert.equal(second.order, 2)
    assert.deepEqual((await listCells(db, caseId)).map((c) => c.order), [1, 2])
  })

  it('stores an edit with the images of unchanged objects kept, and audits it', async () => {
    const cell = await importCell(db, caseId, { name: file, type: 'image/png', bytes }, analysis, new Blob(['t']), actor)
    const [a, b] = analysis.segmentation.objects
    const merged = await editCell(bytes, file, analysis.segmentation, { op: 'merge', ids: [a.id, b.id] }, ruleClassifier, analysis.segmentation.objects.map((o) => o.id))
    assert.equal(merged.chromosomes.length, 1, 'only the new object is drawn again')
    const saved = await saveAnalysis(db, cell.id, merged, `merged ${a.id} and ${b.id}`, actor)
    assert.equal(saved.revision, 1)
    assert.equal(saved.chromosomes.length, analysis.segmentation.objects.length - 1)
    assert.deepEqual(saved.chromosomes.map((c) => c.id), saved.segmentation.objects.map((o) => o.id))
    assert.equal((await db.karyotypeCells.get(cell.id))?.engineCount, analysis.segmentation.objects.length - 1)
    const trail = await auditTrail(db, 'cellAnalyses', cell.id)
    assert.match(trail[0].summary, /merged .* \(\d+ → \d+ objects\)/)
  })

  it('records counts and statuses, refuses excluding without a reason', async () => {
    const cell = await importCell(db, caseId, { name: file, type: 'image/png', bytes }, analysis, new Blob(['t']), actor)
    await assert.rejects(setCellStatus(db, cell.id, 'karyotyped', actor), /Confirm the count/)
    assert.equal((await setCellCount(db, cell.id, 46, actor)).status, 'counted')
    await assert.rejects(setCellCount(db, cell.id, 4.5, actor), /whole number/)
    await assert.rejects(setCellStatus(db, cell.id, 'excluded', actor), /Say why/)
    const ex = await setCellStatus(db, cell.id, 'excluded', actor, 'overlapping cells')
    assert.equal(ex.excludedReason, 'overlapping cells')
    const trail = await auditTrail(db, 'karyotypeCells', cell.id)
    assert.equal(trail.length, 3)
    assert.match(trail[1].summary, /count: null → 46/)
  })

  it('signs: the case locks, edits are refused; an amendment opens version 2 and keeps version 1 as signed', async () => {
    const cell = await importCell(db, caseId, { name: file, type: 'image/png', bytes }, analysis, new Blob(['t']), actor)
    await updatePlacement(db, cell.id, analysis.segmentation.objects[0].id, { type: '7' }, actor, 'moved to 7')
    await saveResultDraft(db, caseId, { iscn: '46,XY', interpretation: 'Normal male karyotype.', resolution: 550, reportCellId: cell.id }, actor)
    const signer = { ...actor, role: 'cytogeneticist' }
    const counts = { counted: 1, karyotyped: 1, modal: 46, range: '46' }
    const v1 = await signResult(db, caseId, { iscn: '46,XY', interpretation: 'Normal male karyotype.', resolution: 550, reportCellId: cell.id, counts, classifier: 'rule', signer }, actor)
    assert.equal(v1.status, 'signed')
    assert.equal(v1.signedBy?.name, 'Ana Costa')
    assert.equal((await db.cases.get(caseId))?.status, 'signed')
    await assert.rejects(updatePlacement(db, cell.id, analysis.segmentation.objects[1].id, { flip: true }, actor, 'flipped'), CaseLockedError)
    await assert.rejects(setCellCount(db, cell.id, 45, actor), CaseLockedError)
    await assert.rejects(saveResultDraft(db, caseId, { iscn: '47,XY,+21', interpretation: '', resolution: 550, reportCellId: null }, actor), CaseLockedError)
    await assert.rejects(updateCase(db, caseId, { indication: 'x' }, actor), /locked/)

    await assert.rejects(amendResult(db, caseId, ' ', actor), /Say why/)
    const v2 = await amendResult(db, caseId, 'Typing error in the interpretation', actor)
    assert.equal(v2.version, 2)
    assert.equal(v2.status, 'draft')
    assert.equal((await db.cases.get(caseId))?.status, 'in_review')
    await saveResultDraft(db, caseId, { iscn: '46,XY', interpretation: 'Normal male karyotype (amended).', resolution: 550, reportCellId: cell.id }, actor)
    const versions = await listResults(db, caseId)
    assert.deepEqual(versions.map((v) => [v.version, v.status, v.interpretation]), [
      [1, 'signed', 'Normal male karyotype.'],
      [2, 'draft', 'Normal male karyotype (amended).']
    ])
    const trail = await caseAuditTrail(db, caseId)
    const actions = trail.map((e) => `${e.entity}:${e.action}`)
    for (const a of ['cases:create', 'karyotypeCells:create', 'karyograms:update', 'karyotypeResults:create', 'karyotypeResults:sign', 'cases:sign', 'karyotypeResults:amend', 'cases:amend']) {
      assert.ok(actions.includes(a), `audit has ${a}: ${actions.join(', ')}`)
    }
  })
})
