import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { InferenceStatus } from '../../../preload/api'
import { createSession } from '../../../main/ml/runtime/ort'
import { probeFeeds, probeModelBytes } from '../../../main/ml/runtime/probe-model'
import { providerCandidates } from '../../../main/ml/runtime/providers'
import { ModelRuntime, type SessionFactory } from '../../../main/ml/runtime/runtime'

/** The real factory, except that the listed providers fail the way a missing device does. */
function failing(reasons: Partial<Record<string, string>>, calls: string[] = []): SessionFactory {
  return async (model, { threads, providers }) => {
    calls.push(providers.join('+'))
    const reason = reasons[providers[0]]
    if (reason) throw new Error(reason)
    return createSession(model, { threads, executionProviders: providers })
  }
}

describe('execution provider order', () => {
  it('tries the platform providers in order and says why the others are skipped', () => {
    const linux = providerCandidates('auto', 'linux', 'x64')
    assert.deepEqual(linux.map((c) => c.provider), ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'])
    assert.deepEqual(linux.filter((c) => !c.skip).map((c) => c.provider), ['cuda', 'webgpu', 'cpu'])
    assert.match(linux.find((c) => c.provider === 'dml')!.skip!, /Windows only/)
    assert.deepEqual(providerCandidates('auto', 'win32', 'x64').filter((c) => !c.skip).map((c) => c.provider), ['cuda', 'dml', 'webgpu', 'cpu'])
    assert.deepEqual(providerCandidates('auto', 'darwin', 'arm64').filter((c) => !c.skip).map((c) => c.provider), ['coreml', 'webgpu', 'cpu'])
  })

  it('puts a preferred device first and keeps the CPU as its fallback', () => {
    const c = providerCandidates('webgpu', 'linux', 'x64')
    assert.deepEqual(c.filter((x) => !x.skip).map((x) => x.provider), ['webgpu', 'cpu'])
    assert.match(c.find((x) => x.provider === 'cuda')!.skip!, /settings prefer WebGPU/)
    assert.deepEqual(providerCandidates('cpu', 'linux', 'x64').filter((x) => !x.skip).map((x) => x.provider), ['cpu'])
  })
})

describe('model runtime', () => {
  it('falls through a provider that fails to create to the CPU, recording the reason, and reports the status', async () => {
    const events: InferenceStatus[] = []
    const runtime = new ModelRuntime({
      platform: 'linux',
      arch: 'x64',
      settings: async () => ({ preferredDevice: 'auto', inferenceThreads: 2 }),
      onStatus: (s) => events.push(s),
      createSession: failing({
        cuda: 'Failed to load shared library libonnxruntime_providers_cuda.so',
        webgpu: 'Failed to get a WebGPU adapter: No supported adapters'
      })
    })
    assert.equal(runtime.status().loaded, false)
    const status = await runtime.ready()
    assert.equal(status.loaded, true)
    assert.equal(status.active, 'cpu')
    assert.equal(status.threads, 2)
    assert.match(status.onnxruntimeVersion ?? '', /^\d+\.\d+/)
    const byProvider = Object.fromEntries(status.providers.map((p) => [p.provider, p]))
    assert.equal(byProvider['cuda'].status, 'failed')
    assert.match(byProvider['cuda'].reason, /CUDA libraries could not be loaded.*libonnxruntime_providers_cuda/)
    assert.equal(byProvider['webgpu'].status, 'failed')
    assert.match(byProvider['webgpu'].reason, /No supported adapters/)
    assert.equal(byProvider['dml'].status, 'skipped')
    assert.equal(byProvider['cpu'].status, 'active')
    assert.equal(events.length, 1)
    assert.deepEqual(events[0], status)

    // A model created afterwards runs on the active provider.
    const session = await runtime.session({ bytes: probeModelBytes(), key: 'probe-test' })
    assert.equal(session.provider, 'cpu')
    const out = await session.run(probeFeeds())
    // y0 = relu(x0 - x1), y1 = relu(0.5 x0 + 0.5 x1 + 0.25) for x0 = 1..4, x1 = 0.5
    assert.deepEqual([...(out['y'].data as Float32Array)], [0.5, 1.5, 2.5, 3.5, 1, 1.5, 2, 2.5])
    assert.equal(await runtime.session({ bytes: probeModelBytes(), key: 'probe-test' }), session, 'sessions are cached')
    await runtime.releaseAll()
  })

  it('records the real onnxruntime error of a provider this build lacks, then uses the CPU', async () => {
    // Pretend to be Windows so that DirectML is tried: this Linux build of onnxruntime has no DirectML.
    const runtime = new ModelRuntime({ platform: 'win32', arch: 'x64', settings: async () => ({ preferredDevice: 'dml', inferenceThreads: 1 }) })
    const status = await runtime.ready()
    const dml = status.providers.find((p) => p.provider === 'dml')!
    assert.equal(status.providers[0].provider, 'dml')
    assert.equal(dml.status, 'failed')
    assert.match(dml.reason, /no DirectML provider.*backend not found/)
    assert.equal(status.active, 'cpu')
    assert.equal(status.threads, 1)
  })

  it('opens a model on the CPU when the active device cannot run it', async () => {
    const calls: string[] = []
    let webgpuWorks = true
    const factory: SessionFactory = async (model, o) => {
      calls.push(o.providers.join('+'))
      if (o.providers[0] === 'webgpu' && !(webgpuWorks && o.quiet)) throw new Error('WebGPU: operator Conv is not supported')
      return createSession(model, { threads: o.threads, executionProviders: ['cpu'] })
    }
    const runtime = new ModelRuntime({ platform: 'linux', arch: 'x64', settings: async () => ({ preferredDevice: 'webgpu', inferenceThreads: 1 }), createSession: factory })
    assert.equal((await runtime.ready()).active, 'webgpu')
    webgpuWorks = false
    const session = await runtime.session({ bytes: probeModelBytes(), key: 'needs-cpu' })
    assert.equal(session.provider, 'cpu')
    assert.deepEqual(calls, ['webgpu', 'webgpu', 'cpu'])
  })

  it('tries the providers again when the settings change the device or threads', async () => {
    const events: InferenceStatus[] = []
    const runtime = new ModelRuntime({ platform: 'linux', arch: 'x64', onStatus: (s) => events.push(s), createSession: failing({ cuda: 'no CUDA', webgpu: 'no adapter' }) })
    await runtime.ready()
    const session = await runtime.session({ bytes: probeModelBytes(), key: 'k' })
    const same = await runtime.configure({ preferredDevice: 'auto', inferenceThreads: 0 })
    assert.equal(events.length, 1, 'unchanged settings change nothing')
    assert.equal(same.active, 'cpu')
    const next = await runtime.configure({ preferredDevice: 'cpu', inferenceThreads: 1 })
    assert.equal(events.length, 2)
    assert.equal(next.threads, 1)
    assert.equal(next.providers.find((p) => p.provider === 'cuda')!.status, 'skipped')
    assert.notEqual(await runtime.session({ bytes: probeModelBytes(), key: 'k' }), session, 'old sessions were released')
    await runtime.releaseAll()
  })

  it('names the missing inputs of a run', async () => {
    const runtime = new ModelRuntime({ settings: async () => ({ preferredDevice: 'cpu', inferenceThreads: 1 }) })
    const session = await runtime.session({ bytes: probeModelBytes(), key: 'probe' })
    await assert.rejects(session.run({}), /The model probe needs the input x/)
    await runtime.releaseAll()
  })
})

describe('runtime status through the app', () => {
  it('inference.probe tries the devices; app.info and app.status events report it; a settings change re-probes', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises')
    const os = await import('node:os')
    const path = await import('node:path')
    const { createAppContext } = await import('../../../main/app/create-context')
    const { createDispatcher } = await import('../../../main/ipc/dispatch')
    const { createHandlers } = await import('../../../main/ipc/handlers')
    const { sourceResourcesDir } = await import('../../../main/app/paths')
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lightbox-runtime-'))
    const events: [string, unknown][] = []
    const ctx = createAppContext({ dataDir, resourcesDir: sourceResourcesDir, emit: (e, p) => events.push([e, p]) })
    const dispatch = createDispatcher(createHandlers(ctx))
    try {
      assert.equal(ctx.inferenceStatus().loaded, false, 'onnxruntime is not loaded before it is needed')
      const probed = await dispatch('inference.probe', {})
      assert.ok(probed.ok)
      const status = (probed as { value: InferenceStatus }).value
      assert.equal(status.loaded, true)
      assert.equal(status.active, 'cpu')
      assert.deepEqual(ctx.inferenceStatus(), status)
      assert.deepEqual(events, [['app.status', { inference: status }]])
      const info = await dispatch('app.info', {})
      assert.deepEqual(info.ok && (info.value as { inference: InferenceStatus }).inference, status)

      await dispatch('settings.update', { patch: { inferenceThreads: 1, preferredDevice: 'cpu' } })
      assert.equal(events.length, 2)
      const next = (events[1][1] as { inference: InferenceStatus }).inference
      assert.equal(next.threads, 1)
      assert.deepEqual(next.providers.filter((p) => p.status !== 'skipped').map((p) => p.provider), ['cpu'])
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})
