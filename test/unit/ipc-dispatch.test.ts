import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { contract } from '../../preload/api'
import { createAppContext } from '../../main/app/create-context'
import { createDispatcher, type Dispatch } from '../../main/ipc/dispatch'
import { createHandlers, type Handlers } from '../../main/ipc/handlers'
import { LabError } from '../../main/errors'

describe('IPC dispatch', () => {
  let dataDir: string
  let dispatch: Dispatch
  let handlers: Handlers

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'lightbox-ipc-'))
    handlers = createHandlers(createAppContext({ dataDir, resourcesDir: dataDir }))
    dispatch = createDispatcher(handlers)
  })
  after(() => rm(dataDir, { recursive: true, force: true }))

  it('has a handler for every channel of the contract and no other', () => {
    assert.deepEqual(Object.keys(handlers).sort(), Object.keys(contract).sort())
  })

  it('runs a valid call and wraps the result', async () => {
    const r = await dispatch('app.info', {})
    assert.equal(r.ok, true)
    if (r.ok) assert.equal((r.value as { name: string }).name, 'Lightbox')
  })

  it('refuses an unknown channel with a structured error', async () => {
    const r = await dispatch('cases.dropAll', {})
    assert.equal(r.ok, false)
    if (!r.ok) {
      assert.equal(r.error.code, 'unknown_channel')
      assert.match(r.error.message, /no operation called "cases\.dropAll"/)
    }
  })

  it('refuses an invalid argument in plain words, names the field, and changes nothing', async () => {
    const r = await dispatch('settings.update', { patch: { inferenceThreads: 999 } })
    assert.equal(r.ok, false)
    if (!r.ok) {
      assert.equal(r.error.code, 'invalid_argument')
      assert.equal(r.error.message, 'Could not update the settings: patch.inferenceThreads: must be at most 256')
      const issues = r.error.details?.['issues'] as { path: string }[]
      assert.deepEqual(issues.map((i) => i.path), ['patch.inferenceThreads'])
    }
    assert.equal(existsSync(path.join(dataDir, 'settings.json')), false, 'no settings file may be written')
  })

  it('refuses unknown fields, wrong types and a missing argument', async () => {
    const cases: [unknown, RegExp][] = [
      [{ patch: { colour: 'red' } }, /unknown field "colour"/],
      [{ patch: { siteName: 42 } }, /patch\.siteName: expected string/],
      [{ patch: { preferredDevice: 'tpu' } }, /must be one of "auto", "cuda"/],
      [undefined, /the argument: expected object/]
    ]
    for (const [args, pattern] of cases) {
      const r = await dispatch('settings.update', args)
      assert.equal(r.ok, false)
      if (!r.ok) assert.match(r.error.message, pattern)
    }
  })

  it('stores a valid update atomically and reads it back', async () => {
    const r = await dispatch('settings.update', { patch: { siteName: 'Cytogenetics, St. Elsewhere', inferenceThreads: 2 } })
    assert.equal(r.ok, true)
    const stored = JSON.parse(await readFile(path.join(dataDir, 'settings.json'), 'utf8'))
    assert.equal(stored.siteName, 'Cytogenetics, St. Elsewhere')
    assert.equal(stored.inferenceThreads, 2)
    const again = await dispatch('settings.get', {})
    assert.equal(again.ok && (again.value as { inferenceThreads: number }).inferenceThreads, 2)
  })

  it('turns a LabError thrown by a handler into its code and message', async () => {
    const failing = createDispatcher({
      ...handlers,
      'app.info': async () => {
        throw new LabError('unavailable', 'the model runtime is not installed', { what: 'onnxruntime' })
      }
    })
    const r = await failing('app.info', {})
    assert.deepEqual(r, {
      ok: false,
      error: { code: 'unavailable', message: 'Could not read the app information: the model runtime is not installed', details: { what: 'onnxruntime' } }
    })
  })

  it('reports an unexpected exception as internal, not as a crash', async () => {
    const failing = createDispatcher({
      ...handlers,
      'app.info': async () => {
        throw new TypeError('x is undefined')
      }
    })
    const r = await failing('app.info', {})
    assert.equal(r.ok, false)
    if (!r.ok) assert.equal(r.error.code, 'internal')
  })
})
