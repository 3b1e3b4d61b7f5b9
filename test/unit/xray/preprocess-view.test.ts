/** The viewer's channel `xray.view` through the real dispatcher: validation, result shape, errors. */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { XrayView } from '../../../preload/api'
import { repoRoot } from '../../../main/app/paths'
import { createAppContext } from '../../../main/app/create-context'
import { createDispatcher, type Dispatch } from '../../../main/ipc/dispatch'
import { createHandlers } from '../../../main/ipc/handlers'

const crBytes = new Uint8Array(
  readFileSync(path.join(repoRoot, '..', 'shared', 'datasets', 'xray', 'samples', '1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm'))
)

describe('IPC xray.view', () => {
  let dataDir: string
  let dispatch: Dispatch

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'lightbox-xray-'))
    dispatch = createDispatcher(createHandlers(createAppContext({ dataDir, resourcesDir: dataDir })))
  })
  after(() => rm(dataDir, { recursive: true, force: true }))

  it('returns metadata, image facts and the display image', async () => {
    const r = await dispatch('xray.view', { bytes: crBytes, name: 'cr.dcm', maxSide: 512 })
    assert.equal(r.ok, true, JSON.stringify(!r.ok && r.error))
    const v = (r as { value: XrayView }).value
    assert.equal(v.metadata.modality, 'CR')
    assert.equal(v.image.width, 1024)
    assert.deepEqual([v.display.width, v.display.height, v.display.scale], [512, 512, 0.5])
    assert.ok(v.display.data instanceof Uint8Array && v.display.data.length === 512 * 512)
    assert.equal(v.voi.kind, 'full-scale')
    const windowed = await dispatch('xray.view', { bytes: crBytes, name: 'cr.dcm', window: { center: 100, width: 50 }, maxSide: 512 })
    assert.ok(windowed.ok)
    assert.deepEqual((windowed as { value: XrayView }).value.voi, { kind: 'window', center: 100, width: 50, function: 'LINEAR', explanation: null, invert: false })
  })

  it('refuses bad arguments and reports a damaged file in words', async () => {
    const bad = await dispatch('xray.view', { bytes: 'not bytes', name: 'x.dcm' })
    assert.ok(!bad.ok && bad.error.code === 'invalid_argument')
    const cut = await dispatch('xray.view', { bytes: crBytes.slice(0, 5000), name: 'cut.dcm' })
    assert.ok(!cut.ok)
    assert.equal(cut.error.code, 'bad_input')
    assert.match(cut.error.message, /^Could not open the X-ray: cut\.dcm is truncated/)
  })
})
