import 'fake-indexeddb/auto'
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { auditTrail } from '../../renderer/src/lib/db/audit'
import { CaseValidationError, createCase, findCases, setArchived, updateCase } from '../../renderer/src/lib/db/cases'
import { LightboxDB } from '../../renderer/src/lib/db/database'
import { createReviewer, listReviewers } from '../../renderer/src/lib/db/reviewers'
import type { Actor } from '../../renderer/src/lib/db/types'

describe('case database (Dexie over fake-indexeddb)', () => {
  let db: LightboxDB
  let actor: Actor

  beforeEach(async () => {
    db = new LightboxDB(`test-${crypto.randomUUID()}`)
    const r = await createReviewer(db, { name: 'Ana Costa', initials: 'ac', role: 'cytogeneticist' })
    actor = { id: r.id, name: r.name }
  })
  afterEach(async () => {
    await db.delete()
  })

  it('creates a reviewer with upper-case initials and audits it', async () => {
    const [r] = await listReviewers(db)
    assert.equal(r.initials, 'AC')
    const trail = await auditTrail(db, 'reviewers', r.id)
    assert.equal(trail.length, 1)
    assert.equal(trail[0].action, 'create')
  })

  it('refuses a second active reviewer with the same initials', async () => {
    await assert.rejects(createReviewer(db, { name: 'Alan Cole', initials: 'AC', role: 'technologist' }), /already used by Ana Costa/)
    assert.equal((await listReviewers(db)).length, 1)
  })

  it('creates a case and appends who, when, what and after to the audit log in the same transaction', async () => {
    const c = await createCase(db, { kind: 'karyotype', accession: 'CG-2026-0001', patientPseudonym: 'P-7F3A', specimen: 'Peripheral blood' }, actor)
    assert.equal(c.status, 'open')
    assert.equal(c.createdBy, actor.id)
    const trail = await auditTrail(db, 'cases', c.id)
    assert.equal(trail.length, 1)
    assert.equal(trail[0].reviewerId, actor.id)
    assert.equal(trail[0].reviewerName, 'Ana Costa')
    assert.equal(trail[0].before, null)
    assert.equal((trail[0].after as { accession: string }).accession, 'CG-2026-0001')
    assert.ok(Date.now() - Date.parse(trail[0].at) < 60_000)
  })

  it('validates input and never stores a rejected case', async () => {
    await assert.rejects(
      createCase(db, { kind: 'xray', accession: ' ', patientPseudonym: '' }, actor),
      (err: unknown) => err instanceof CaseValidationError && [...new Set(err.issues.map((i) => i.field))].sort().join() === 'accession,patientPseudonym'
    )
    await createCase(db, { kind: 'xray', accession: 'XR-1', patientPseudonym: 'P1' }, actor)
    await assert.rejects(createCase(db, { kind: 'xray', accession: 'XR-1', patientPseudonym: 'P2' }, actor), /already used/)
    assert.equal(await db.cases.count(), 1)
    assert.equal((await db.audit.toArray()).filter((a) => a.entity === 'cases').length, 1)
  })

  it('records before and after on update, and a summary of what changed', async () => {
    const c = await createCase(db, { kind: 'karyotype', accession: 'CG-2', patientPseudonym: 'P-2' }, actor)
    await updateCase(db, c.id, { indication: 'Recurrent miscarriage' }, actor)
    const trail = await auditTrail(db, 'cases', c.id)
    assert.equal(trail.length, 2)
    assert.equal((trail[1].before as { indication: string }).indication, '')
    assert.equal((trail[1].after as { indication: string }).indication, 'Recurrent miscarriage')
    assert.equal(trail[1].summary, "indication: '' → 'Recurrent miscarriage'")
  })

  it('finds cases by text, kind and archive state, newest first', async () => {
    const a = await createCase(db, { kind: 'karyotype', accession: 'CG-10', patientPseudonym: 'P-AAA', indication: 'Short stature' }, actor)
    await createCase(db, { kind: 'xray', accession: 'XR-11', patientPseudonym: 'P-BBB', specimen: 'Chest PA' }, actor)
    const c = await createCase(db, { kind: 'karyotype', accession: 'CG-12', patientPseudonym: 'P-CCC', indication: 'Infertility' }, actor)
    assert.deepEqual((await findCases(db, { text: 'stature' })).map((x) => x.accession), ['CG-10'])
    assert.deepEqual((await findCases(db, { text: 'p-bbb' })).map((x) => x.accession), ['XR-11'])
    assert.deepEqual((await findCases(db, { kind: 'karyotype' })).map((x) => x.accession), ['CG-12', 'CG-10'])
    await setArchived(db, a.id, true, actor)
    assert.deepEqual((await findCases(db, { kind: 'karyotype' })).map((x) => x.accession), ['CG-12'])
    assert.deepEqual((await findCases(db, { archived: 'archived' })).map((x) => x.accession), ['CG-10'])
    assert.equal((await findCases(db, { archived: 'all' })).length, 3)
    const trail = await auditTrail(db, 'cases', a.id)
    assert.equal(trail.at(-1)?.action, 'archive')
    assert.equal(c.archived, 0)
  })

  it('locks a signed case against edits', async () => {
    const c = await createCase(db, { kind: 'karyotype', accession: 'CG-20', patientPseudonym: 'P-20' }, actor)
    await db.cases.update(c.id, { status: 'signed' })
    await assert.rejects(updateCase(db, c.id, { indication: 'x' }, actor), /signed case is locked/)
    assert.equal((await db.cases.get(c.id))?.indication, '')
  })
})
