import 'fake-indexeddb/auto'
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import type { ModelSummary } from '../../../preload/api'
import { auditTrail } from '../../../renderer/src/lib/db/audit'
import { LightboxDB } from '../../../renderer/src/lib/db/database'
import { listModelRecords, syncModels } from '../../../renderer/src/lib/db/models'
import { createReviewer } from '../../../renderer/src/lib/db/reviewers'
import type { Actor } from '../../../renderer/src/lib/db/types'

function summary(id: string, active: boolean): ModelSummary {
  const [name, version] = id.split('@')
  return {
    id, name, version, task: 'xray-covid', variant: null, slot: 'xray-covid', description: '', parent: null, labels: [], source: 'user', active, available: true, problem: null,
    created: '2026-01-01T00:00:00.000Z', importedAt: null, sizeBytes: 10, sha256: null, metrics: {}, inputs: [], outputs: [], trainingSamples: null, trainingNotes: null
  }
}

describe("the renderer's mirror of the model registry (Dexie)", () => {
  let db: LightboxDB
  let actor: Actor
  beforeEach(async () => {
    db = new LightboxDB(`models-${crypto.randomUUID()}`)
    const r = await createReviewer(db, { name: 'Ana Costa', initials: 'AC', role: 'radiologist' })
    actor = { id: r.id, name: r.name }
  })
  afterEach(() => db.delete())

  it('stores the list and audits what appeared, what was promoted and what was deleted, by whom', async () => {
    await syncModels(db, [summary('head@1', true)], actor)
    await syncModels(db, [summary('head@1', true), summary('head@2', false)], actor, { id: 'head@2', what: 'imported' })
    await syncModels(db, [summary('head@1', false), summary('head@2', true)], actor, { id: 'head@2', what: 'promoted' })
    await syncModels(db, [summary('head@2', true)], actor, { id: 'head@1', what: 'deleted' })
    await syncModels(db, [summary('head@2', true)], actor) // nothing changed: no entry

    assert.deepEqual((await listModelRecords(db)).map((m) => [m.id, m.active]), [['head@2', true]])
    const trail2 = await auditTrail(db, 'models', 'head@2')
    assert.deepEqual(trail2.map((e) => [e.action, e.summary, e.reviewerName]), [
      ['create', 'imported', 'Ana Costa'],
      ['update', 'promoted; active: false → true', 'Ana Costa']
    ])
    const trail1 = await auditTrail(db, 'models', 'head@1')
    assert.deepEqual(trail1.map((e) => [e.action, e.summary]), [
      ['create', 'registered'],
      ['update', 'active: true → false'],
      ['delete', 'deleted']
    ])
  })
})
