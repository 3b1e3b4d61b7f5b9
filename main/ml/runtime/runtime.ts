/**
 * The model runtime: the one place that chooses the execution provider and creates and caches
 * onnxruntime sessions. Providers are tried in order for the platform (providers.ts); each failure is
 * recorded with its reason and the next one tried, down to CPU. Other modules see plain typed arrays
 * (TensorData), never onnxruntime's types.
 */
import os from 'node:os'
import type { InferenceSession, Tensor } from 'onnxruntime-node'
import type { InferenceDevice, InferenceStatus, ProviderAttempt } from '../../../preload/api'
import { LabError } from '../../errors'
import { createSession, loadOrt } from './ort'
import { plainReason, providerCandidates, providerNames, type Provider } from './providers'
import { probeModelBytes, probeFeeds } from './probe-model'

export interface RuntimeSettings {
  preferredDevice: InferenceDevice
  /** 0 means one per core. */
  inferenceThreads: number
}

export type TensorValues = Float32Array | BigInt64Array | Int32Array | Uint8Array

/** A tensor as the rest of the app sees it. */
export interface TensorData {
  dtype: 'float32' | 'int64' | 'int32' | 'uint8'
  data: TensorValues
  dims: number[]
}

export interface ValueInfo {
  name: string
  dtype: string
  /** Symbolic dimensions are strings; unknown ones null. */
  shape: (number | string | null)[]
}

/** Creates one session on the given providers; swapped out in tests to simulate failing devices. */
export type SessionFactory = (
  model: string | Uint8Array,
  options: { threads: number; providers: Provider[]; quiet: boolean }
) => Promise<InferenceSession>

export interface ModelRuntimeOptions {
  /** Read when the runtime first starts; `configure` replaces them later. */
  settings?: () => Promise<RuntimeSettings>
  /** Called whenever the status changes (the app pushes it as an `app.status` event). */
  onStatus?: (status: InferenceStatus) => void
  platform?: NodeJS.Platform
  arch?: string
  createSession?: SessionFactory
}

/** A model source: a file path, or bytes with a key that identifies them for the cache. */
export type ModelSource = { path: string } | { bytes: Uint8Array; key: string }

/**
 * Pool threads sleep rather than spin between operators: a desktop app shares its cores with the UI,
 * image decoding and other work, where spinning threads slow everything (about twice as slow on a loaded
 * 2-core machine in bench/backbone.ts) for a few percent gained on an idle one.
 */
const defaultFactory: SessionFactory = (model, { threads, providers, quiet }) =>
  createSession(model, { threads, executionProviders: providers, logSeverityLevel: quiet ? 4 : 3, allowSpinning: false })

/** Threads for onnxruntime's intra-op pool: the setting, or one per core of this machine. */
export function threadsFor(setting: number): number {
  return setting > 0 ? setting : Math.max(1, os.availableParallelism())
}

/** Friendlier words for the usual ways a provider fails. */
function explain(provider: Provider, err: unknown): string {
  const reason = plainReason(err)
  if (/Failed to load shared library|cannot open shared object/i.test(reason)) {
    return `${providerNames[provider]} libraries could not be loaded (${reason})`
  }
  if (/backend not found/i.test(reason)) return `this onnxruntime build has no ${providerNames[provider]} provider (${reason})`
  if (/adapter/i.test(reason)) return `no ${providerNames[provider]} adapter on this machine (${reason.replace(/^.*was false\.\s*/, '')})`
  return reason
}

export class ModelSession {
  constructor(
    private readonly session: InferenceSession,
    private readonly ort: typeof import('onnxruntime-node'),
    /** The provider this session actually runs on. */
    readonly provider: Provider,
    readonly key: string
  ) {}

  get inputNames(): readonly string[] {
    return this.session.inputNames
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames
  }

  /** The graph's real inputs and outputs, as onnxruntime reports them. */
  describe(): { inputs: ValueInfo[]; outputs: ValueInfo[] } {
    const info = (m: InferenceSession.ValueMetadata): ValueInfo =>
      m.isTensor
        ? { name: m.name, dtype: String(m.type), shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : typeof d === 'string' ? d : null)) }
        : { name: m.name, dtype: 'non-tensor', shape: [] }
    return { inputs: this.session.inputMetadata.map(info), outputs: this.session.outputMetadata.map(info) }
  }

  /**
   * Runs the model (asynchronously, on onnxruntime's own threads: the event loop stays free).
   * `fetches` limits the outputs computed and copied back.
   */
  async run(feeds: Record<string, TensorData>, fetches?: string[]): Promise<Record<string, TensorData>> {
    const missing = this.session.inputNames.filter((n) => !(n in feeds))
    if (missing.length > 0) {
      throw new LabError('invalid_argument', `The model ${this.key} needs the input${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`)
    }
    const ortFeeds: Record<string, Tensor> = {}
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new this.ort.Tensor(t.dtype, t.data, t.dims)
    const results = fetches ? await this.session.run(ortFeeds, fetches) : await this.session.run(ortFeeds)
    const out: Record<string, TensorData> = {}
    for (const [name, t] of Object.entries(results)) {
      out[name] = { dtype: t.type as TensorData['dtype'], data: t.data as TensorValues, dims: [...t.dims] }
      t.dispose()
    }
    return out
  }

  release(): Promise<void> {
    return this.session.release()
  }
}

export class ModelRuntime {
  private readonly options: ModelRuntimeOptions
  private readonly factory: SessionFactory
  private settings: RuntimeSettings | null = null
  private current: InferenceStatus = { loaded: false, active: null, providers: [], threads: 0, onnxruntimeVersion: null }
  private probing: Promise<InferenceStatus> | null = null
  private readonly sessions = new Map<string, Promise<ModelSession>>()

  constructor(options: ModelRuntimeOptions = {}) {
    this.options = options
    this.factory = options.createSession ?? defaultFactory
  }

  /** The current state; `loaded` is false until a model is first needed or `ready()` is called. */
  status(): InferenceStatus {
    return this.current
  }

  /** Loads onnxruntime and chooses the provider (once); later calls return the same result. */
  ready(): Promise<InferenceStatus> {
    this.probing ??= this.probe().catch((err) => {
      this.probing = null
      throw err
    })
    return this.probing
  }

  /**
   * Applies new settings: when the device or thread count changed, cached sessions are released and the
   * providers are tried again.
   */
  async configure(settings: RuntimeSettings): Promise<InferenceStatus> {
    const before = this.settings
    this.settings = { preferredDevice: settings.preferredDevice, inferenceThreads: settings.inferenceThreads }
    if (!this.current.loaded) return this.current
    if (before && before.preferredDevice === settings.preferredDevice && before.inferenceThreads === settings.inferenceThreads) {
      return this.current
    }
    await this.releaseAll()
    this.probing = this.probe()
    return this.probing
  }

  /** A cached session for the model; created on the active provider, falling back to CPU. */
  async session(source: ModelSource): Promise<ModelSession> {
    const key = 'path' in source ? source.path : source.key
    let pending = this.sessions.get(key)
    if (!pending) {
      pending = this.open(source, key)
      this.sessions.set(key, pending)
      pending.catch(() => this.sessions.delete(key))
    }
    return pending
  }

  /** Drops a model's cached session (e.g. when the registry deletes it). */
  async release(key: string): Promise<void> {
    const pending = this.sessions.get(key)
    this.sessions.delete(key)
    if (pending) await pending.then((s) => s.release()).catch(() => {})
  }

  async releaseAll(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((k) => this.release(k)))
  }

  private async open(source: ModelSource, key: string): Promise<ModelSession> {
    const status = await this.ready()
    const ort = await loadOrt()
    const model = 'path' in source ? source.path : source.bytes
    const active = status.active
    if (!active) throw new LabError('unavailable', 'No inference device works on this machine, not even the CPU: see the providers in Settings.')
    try {
      return new ModelSession(await this.factory(model, { threads: status.threads, providers: [active], quiet: false }), ort, active, key)
    } catch (err) {
      if (active === 'cpu') throw modelLoadError(key, err)
      // A model may use an operator the device lacks: run it on the CPU rather than not at all.
      try {
        return new ModelSession(await this.factory(model, { threads: status.threads, providers: ['cpu'], quiet: false }), ort, 'cpu', key)
      } catch (cpuErr) {
        throw modelLoadError(key, cpuErr)
      }
    }
  }

  private async probe(): Promise<InferenceStatus> {
    const settings = (this.settings ??= this.options.settings ? await this.options.settings() : { preferredDevice: 'auto', inferenceThreads: 0 })
    const threads = threadsFor(settings.inferenceThreads)
    let ort: typeof import('onnxruntime-node')
    try {
      ort = await loadOrt()
    } catch (err) {
      const reason = `onnxruntime-node could not be loaded: ${plainReason(err)}`
      const providers = providerCandidates(settings.preferredDevice, this.options.platform, this.options.arch).map(
        (c): ProviderAttempt => ({ provider: c.provider, status: c.skip ? 'skipped' : 'failed', reason: c.skip ?? reason })
      )
      this.current = { loaded: false, active: null, providers, threads, onnxruntimeVersion: null }
      this.options.onStatus?.(this.current)
      return this.current
    }
    // A provider that fails also logs its failure to stderr; the reason is recorded below instead.
    ort.env.logLevel = 'fatal'
    const attempts: ProviderAttempt[] = []
    let active: Provider | null = null
    for (const candidate of providerCandidates(settings.preferredDevice, this.options.platform, this.options.arch)) {
      const { provider } = candidate
      if (candidate.skip) {
        attempts.push({ provider, status: 'skipped', reason: candidate.skip })
      } else if (active) {
        attempts.push({ provider, status: 'untried', reason: `${providerNames[active]} is already active` })
      } else {
        try {
          const session = await this.factory(probeModelBytes(), { threads: 1, providers: [provider], quiet: true })
          try {
            await new ModelSession(session, ort, provider, 'probe').run(probeFeeds())
          } finally {
            await session.release()
          }
          active = provider
          attempts.push({ provider, status: 'active', reason: provider === 'cpu' ? 'always available' : 'created and ran a test model' })
        } catch (err) {
          attempts.push({ provider, status: 'failed', reason: explain(provider, err) })
        }
      }
    }
    this.current = { loaded: true, active, providers: attempts, threads, onnxruntimeVersion: ort.env.versions.node ?? ort.env.versions.common }
    this.options.onStatus?.(this.current)
    return this.current
  }
}

function modelLoadError(key: string, err: unknown): LabError {
  return new LabError('bad_input', `onnxruntime could not load the model ${key}: ${plainReason(err)}`, { model: key })
}
