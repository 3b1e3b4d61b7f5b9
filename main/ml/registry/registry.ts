/**
 * The model registry: every model the app can run, as files described by manifests.
 *   shipped  <resourcesDir>/models/<name>/{model.onnx, manifest.json}        read-only, built with the app
 *   user     <dataDir>/models/<name>/<version>/{model.onnx, manifest.json}   imported or trained here
 *   state    <dataDir>/models/registry.json   { active: {slot: id}, history: {slot: [ids]} }
 * One model per slot is active (the one the task's pipeline runs): the slot is the task, or task/variant
 * where a task has variants (a G-band and a Q-band chromosome classifier); a slot without a promoted model
 * uses its shipped model. Promote makes a model active and remembers the one before; roll back returns to it.
 * The active model is never deleted without naming a replacement. Writes go through temporary files and
 * renames, so a crash never leaves a half-imported model or a half-written state file.
 */
import { createHash, randomUUID } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import type { ModelSummary } from '../../../preload/api'
import { LabError } from '../../errors'
import { describeIssues } from '../../ipc/dispatch'
import type { ModelRuntime, ModelSession } from '../runtime'
import { assertGraphMatches, graphProblems } from './check-graph'
import { manifestSchema, slotOf, variantProblem, type ModelManifest, type ModelTask } from './manifest'
import { inspectOnnx } from './onnx-inspect'

export type { ModelTask } from './manifest'

export interface RegisteredModel {
  id: string
  manifest: ModelManifest
  source: 'shipped' | 'user'
  dir: string
  modelFile: string
  importedAt: string | null
}

const stateSchema = z.object({
  active: z.record(z.string(), z.string()).default({}),
  history: z.record(z.string(), z.array(z.string())).default({})
})
type RegistryState = z.infer<typeof stateSchema>

export function modelId(m: Pick<ModelManifest, 'name' | 'version'>): string {
  return `${m.name}@${m.version}`
}

/** Parses manifest JSON text; the message names the file and each wrong field. */
export function parseManifest(text: string, file: string): ModelManifest {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new LabError('bad_input', `${file} is not valid JSON (${(err as Error).message}).`, { file })
  }
  const parsed = manifestSchema.safeParse(json)
  if (!parsed.success) throw new LabError('bad_input', `${file} is not a valid model manifest: ${describeIssues(parsed.error.issues)}.`, { file })
  const variant = variantProblem(parsed.data)
  if (variant) throw new LabError('bad_input', `${file} is not a valid model manifest: ${variant}.`, { file })
  return parsed.data
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`
  await writeFile(tmp, data)
  await rename(tmp, file)
}

/** A folder or file name derived from a manifest field: no separators, no dot-only names. */
function safeSegment(s: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(s) || s.includes('..')) {
    throw new LabError('bad_input', `"${s}" cannot be used as a model name or version (letters, digits, . _ + - only).`)
  }
  return s
}

/** Active model id per slot, from the registry state and the models on disk (read once by the caller). */
function activeIdsOf(state: RegistryState, models: RegisteredModel[]): Record<string, string> {
  const ids = new Set(models.map((m) => m.id))
  const active: Record<string, string> = {}
  for (const m of models) if (m.source === 'shipped') active[slotOf(m.manifest)] ??= m.id
  for (const [slot, id] of Object.entries(state.active)) if (ids.has(id)) active[slot] = id
  return active
}

export interface ImportRequest {
  /** The ONNX file's bytes and name (for messages). */
  model: Uint8Array
  fileName: string
  /** The manifest's JSON text and name. */
  manifest: string
  manifestName?: string
}

export class ModelRegistry {
  readonly userDir: string
  readonly shippedDir: string
  private readonly stateFile: string
  /** Serialises changes: two imports or promotions never interleave. */
  private queue: Promise<unknown> = Promise.resolve()
  private readonly verified = new Set<string>()

  constructor(
    readonly dataDir: string,
    readonly resourcesDir: string,
    private readonly runtime: ModelRuntime | null = null
  ) {
    this.userDir = path.join(dataDir, 'models')
    this.shippedDir = path.join(resourcesDir, 'models')
    this.stateFile = path.join(this.userDir, 'registry.json')
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn)
    this.queue = next.catch(() => {})
    return next
  }

  private async readState(): Promise<RegistryState> {
    let text: string
    try {
      text = await readFile(this.stateFile, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { active: {}, history: {} }
      throw err
    }
    try {
      return stateSchema.parse(JSON.parse(text))
    } catch {
      throw new LabError('bad_input', `The model registry state ${this.stateFile} is damaged (not the expected JSON).`, { file: this.stateFile })
    }
  }

  private async writeState(state: RegistryState): Promise<void> {
    await mkdir(this.userDir, { recursive: true })
    await writeAtomic(this.stateFile, JSON.stringify(state, null, 2) + '\n')
  }

  private async readModelDir(dir: string, source: RegisteredModel['source']): Promise<RegisteredModel | null> {
    const manifestFile = path.join(dir, 'manifest.json')
    let text: string
    try {
      text = await readFile(manifestFile, 'utf8')
    } catch {
      return null
    }
    const manifest = parseManifest(text, manifestFile)
    let importedAt: string | null = null
    if (source === 'user') importedAt = (await stat(manifestFile)).mtime.toISOString()
    return { id: modelId(manifest), manifest, source, dir, modelFile: path.join(dir, 'model.onnx'), importedAt }
  }

  private async subdirs(dir: string): Promise<string[]> {
    try {
      return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => path.join(dir, d.name))
    } catch {
      return []
    }
  }

  /** Every model, shipped first, then user models by name and creation time. */
  async models(): Promise<RegisteredModel[]> {
    const shipped = (await Promise.all((await this.subdirs(this.shippedDir)).map((d) => this.readModelDir(d, 'shipped')))).filter((m) => m !== null)
    const user: RegisteredModel[] = []
    for (const nameDir of await this.subdirs(this.userDir)) {
      for (const versionDir of await this.subdirs(nameDir)) {
        const m = await this.readModelDir(versionDir, 'user')
        if (m) user.push(m)
      }
    }
    user.sort((a, b) => a.manifest.name.localeCompare(b.manifest.name) || a.manifest.created.localeCompare(b.manifest.created))
    return [...shipped, ...user]
  }

  async get(id: string): Promise<RegisteredModel> {
    const model = (await this.models()).find((m) => m.id === id)
    if (!model) throw new LabError('not_found', `There is no model ${id}.`, { model: id })
    return model
  }

  /** Active model id per slot: promoted, else the slot's (first) shipped model. */
  async activeIds(): Promise<Record<string, string>> {
    return activeIdsOf(await this.readState(), await this.models())
  }

  /** The model a task's pipeline runs (for the variant, where the task has variants), or null when there is none. */
  async active(task: ModelTask, variant?: string): Promise<RegisteredModel | null> {
    const [state, models] = await Promise.all([this.readState(), this.models()])
    const id = activeIdsOf(state, models)[slotOf({ task, variant })]
    return models.find((m) => m.id === id) ?? null
  }

  async list(): Promise<ModelSummary[]> {
    const [state, models] = await Promise.all([this.readState(), this.models()])
    const active = activeIdsOf(state, models)
    return Promise.all(
      models.map(async (m): Promise<ModelSummary> => {
        let sizeBytes = 0
        let problem: string | null = null
        try {
          sizeBytes = (await stat(m.modelFile)).size
        } catch {
          problem = m.source === 'shipped' ? 'model.onnx is missing: it is made by `npm run build`' : 'model.onnx is missing'
        }
        return {
          id: m.id,
          name: m.manifest.name,
          version: m.manifest.version,
          task: m.manifest.task,
          variant: m.manifest.variant ?? null,
          slot: slotOf(m.manifest),
          description: m.manifest.description,
          parent: m.manifest.parent,
          labels: m.manifest.labels,
          source: m.source,
          active: active[slotOf(m.manifest)] === m.id,
          available: problem === null,
          problem,
          created: m.manifest.created,
          importedAt: m.importedAt,
          sizeBytes,
          sha256: m.manifest.sha256 ?? null,
          metrics: m.manifest.metrics,
          inputs: m.manifest.inputs.map((i) => ({ name: i.name, shape: i.shape.map(String), dtype: i.dtype })),
          outputs: m.manifest.outputs.map((o) => ({ name: o.name, shape: o.shape.map(String), dtype: o.dtype, kind: o.kind })),
          trainingSamples: m.manifest.training?.datasets.reduce((n, d) => n + d.samples, 0) ?? null,
          trainingNotes: m.manifest.training?.notes ?? null
        }
      })
    )
  }

  /**
   * Checks a model file against its manifest (structure, then onnxruntime loading it) without storing
   * anything. Returns the parsed manifest with the file's SHA-256.
   */
  async check(request: ImportRequest): Promise<ModelManifest> {
    const manifestName = request.manifestName ?? 'the manifest'
    const manifest = parseManifest(request.manifest, manifestName)
    const graph = inspectOnnx(request.model, request.fileName)
    assertGraphMatches(manifest, graph, request.fileName)
    const digest = sha256(request.model)
    if (manifest.sha256 && manifest.sha256 !== digest) {
      throw new LabError('bad_input', `${request.fileName} is not the file ${manifestName} describes: its SHA-256 is ${digest}, the manifest says ${manifest.sha256}.`, { file: request.fileName })
    }
    if (this.runtime) {
      // onnxruntime must accept it too (operators, opset): better refused now than at the first case.
      const key = `check:${digest}`
      let outputs: string[]
      try {
        outputs = (await this.runtime.session({ bytes: request.model, key })).describe().outputs.map((o) => o.name)
      } catch (err) {
        throw new LabError('bad_input', `${request.fileName} could not be loaded by onnxruntime: ${err instanceof Error ? err.message : String(err)}`, { file: request.fileName })
      } finally {
        await this.runtime.release(key)
      }
      const missing = manifest.outputs.filter((o) => !outputs.includes(o.name))
      if (missing.length > 0) throw new LabError('bad_input', `${request.fileName}: onnxruntime sees no output ${missing.map((o) => `"${o.name}"`).join(', ')}.`)
    }
    return { ...manifest, sha256: digest }
  }

  /** Validates and stores a user model. Nothing is written unless every check passes. */
  import(request: ImportRequest): Promise<RegisteredModel> {
    return this.exclusive(async () => {
      const manifest = await this.check(request)
      const id = modelId(manifest)
      if ((await this.models()).some((m) => m.id === id)) {
        throw new LabError('conflict', `A model ${id} already exists: give the new one another version.`, { model: id })
      }
      const finalDir = path.join(this.userDir, safeSegment(manifest.name), safeSegment(manifest.version))
      const staging = path.join(this.userDir, `.import-${randomUUID()}`)
      await mkdir(staging, { recursive: true })
      try {
        await writeFile(path.join(staging, 'model.onnx'), request.model)
        await writeFile(path.join(staging, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
        await mkdir(path.dirname(finalDir), { recursive: true })
        await rename(staging, finalDir)
      } catch (err) {
        await rm(staging, { recursive: true, force: true })
        throw err
      }
      return (await this.readModelDir(finalDir, 'user'))!
    })
  }

  /** Makes a model the active one for its slot; the one before is remembered for roll back. */
  promote(id: string): Promise<RegisteredModel> {
    return this.exclusive(async () => {
      const model = await this.get(id)
      await this.assertUsable(model)
      const state = await this.readState()
      const slot = slotOf(model.manifest)
      const current = (await this.activeIds())[slot]
      if (current === id) return model
      if (current) state.history[slot] = [...(state.history[slot] ?? []), current]
      state.active[slot] = id
      await this.writeState(state)
      return model
    })
  }

  /** Returns a slot (a task, or task/variant) to the model that was active before its last promotion. */
  rollback(slot: string): Promise<RegisteredModel> {
    return this.exclusive(async () => {
      const state = await this.readState()
      const models = await this.models()
      if (!models.some((m) => slotOf(m.manifest) === slot)) {
        const slots = [...new Set(models.map((m) => slotOf(m.manifest)))]
        throw new LabError('invalid_argument', `No model is for "${slot}" (there are: ${slots.join(', ')}).`, { slot })
      }
      const ids = new Set(models.map((m) => m.id))
      const history = (state.history[slot] ?? []).filter((id) => ids.has(id))
      const previous = history.pop()
      if (!previous) throw new LabError('conflict', `There is no earlier ${slot} model to roll back to.`, { slot })
      state.history[slot] = history
      state.active[slot] = previous
      await this.writeState(state)
      return this.get(previous)
    })
  }

  /**
   * Deletes a user model. The active model of a slot is deleted only with a replacement (same slot),
   * which becomes active first.
   */
  delete(id: string, replacement?: string): Promise<void> {
    return this.exclusive(async () => {
      const model = await this.get(id)
      if (model.source === 'shipped') throw new LabError('unsupported', `${id} is shipped with Lightbox and cannot be deleted.`, { model: id })
      const slot = slotOf(model.manifest)
      const state = await this.readState()
      const isActive = (await this.activeIds())[slot] === id
      if (isActive) {
        if (!replacement) {
          throw new LabError('conflict', `${id} is the active ${slot} model: choose a replacement to make active before deleting it.`, { model: id })
        }
        if (replacement === id) throw new LabError('invalid_argument', `${id} cannot replace itself.`)
        const next = await this.get(replacement)
        if (slotOf(next.manifest) !== slot) {
          throw new LabError('invalid_argument', `${replacement} is a ${slotOf(next.manifest)} model; ${id} needs a ${slot} replacement.`)
        }
        await this.assertUsable(next)
        state.active[slot] = replacement
      } else if (replacement) {
        throw new LabError('invalid_argument', `${id} is not active, so it needs no replacement.`)
      }
      for (const t of Object.keys(state.history)) state.history[t] = state.history[t].filter((h) => h !== id)
      await this.writeState(state)
      await this.runtime?.release(model.modelFile)
      // Move aside first: the model disappears at once, and a crash mid-delete leaves no half model in the list.
      const trash = path.join(this.userDir, `.deleted-${randomUUID()}`)
      await rename(model.dir, trash)
      await rm(trash, { recursive: true, force: true })
      this.verified.delete(model.modelFile)
    })
  }

  /** The file is present and still the one the manifest describes. */
  private async assertUsable(model: RegisteredModel): Promise<void> {
    let bytes: Uint8Array
    try {
      bytes = await readFile(model.modelFile)
    } catch {
      throw new LabError('unavailable', `${model.id} has no model file (${model.modelFile}).`, { model: model.id })
    }
    if (model.manifest.sha256 && sha256(bytes) !== model.manifest.sha256) {
      throw new LabError('bad_input', `${model.modelFile} has changed since ${model.id} was stored (SHA-256 differs from its manifest).`, { model: model.id })
    }
    const problems = graphProblems(model.manifest, inspectOnnx(bytes, model.modelFile))
    if (problems.length > 0) throw new LabError('bad_input', `${model.modelFile} does not match its manifest: ${problems.join('; ')}.`)
  }

  /** A session for the model, after checking (once per process) that its file is intact. */
  async session(id: string): Promise<{ model: RegisteredModel; session: ModelSession }> {
    if (!this.runtime) throw new LabError('internal', 'This registry has no model runtime.')
    const model = await this.get(id)
    if (!this.verified.has(model.modelFile)) {
      await this.assertUsable(model)
      this.verified.add(model.modelFile)
    }
    return { model, session: await this.runtime.session({ path: model.modelFile }) }
  }
}
