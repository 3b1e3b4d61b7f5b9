/**
 * A trained network becomes a plain inference model: an ONNX graph with the weights as initializers, no
 * training nodes (batchnorm with its running statistics, no dropout), head scores as outputs, plus the
 * manifest the model runtime uses. The graph is loaded and run once by onnxruntime before it is handed
 * out, and the manifest is checked against the shared schema.
 *
 *   const model = await exportModel(network, result.weights, { name, version, parent, task, training: result, ... })
 *   await writeModel(dir, model)   // dir/model.onnx + dir/manifest.json
 */
import { createHash } from 'node:crypto'
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { LabError } from '../../errors'
import { manifestSchema, type InputSpec as ManifestInput, type ModelManifest, type OutputSpec } from '../registry/manifest'
import { createSession, loadOrt } from '../runtime/ort'
import { buildInferenceGraph } from '../train/inference-graph'
import type { NetworkSpec } from '../train/spec'
import type { TrainResult, Weights } from '../train/types'

export interface ExportInfo {
  name: string
  version: string
  /** `name@version` of the model this one was trained from, or null. */
  parent: string | null
  task: ModelManifest['task']
  description?: string
  /** Manifest-level labels; default: the first head's labels. */
  labels?: string[]
  /** Per network input: how to prepare it (image size, channels, normalisation) or which backbone's features it takes. */
  inputs?: Record<string, Partial<Pick<ManifestInput, 'size' | 'channels' | 'layout' | 'normalisation' | 'features'>>>
  /** Layer outputs to expose besides the heads (kind 'features'), e.g. a trunk's pooled features. */
  extraOutputs?: string[]
  /** The training run: epochs, seconds, class counts and validation metrics go into the manifest. */
  training?: Pick<TrainResult, 'epochsRun' | 'seconds' | 'classCounts' | 'metrics' | 'trainCount' | 'valCount'>
  datasets?: { name: string; samples: number; split?: string }[]
  hyperparameters?: Record<string, number | string | boolean>
  /** Measured metrics (e.g. { 'test.auc': 0.95 }); merged over the training run's validation metrics. */
  metrics?: Record<string, number>
  licence?: string
  notes?: string
}

export interface ExportedModel {
  onnx: Uint8Array
  manifest: ModelManifest
}

function layoutOf(shape: number[]): ManifestInput['layout'] {
  return shape.length === 3 ? 'NCHW' : 'NC'
}

export async function exportModel(network: NetworkSpec, weights: Weights, info: ExportInfo): Promise<ExportedModel> {
  const built = buildInferenceGraph(network, weights, info.extraOutputs ?? [])
  const onnx = built.graph.toModelBytes(`${info.name}@${info.version}`)
  await checkRuns(network, onnx)

  const inputs: ManifestInput[] = network.inputs.map((i) => {
    const extra = info.inputs?.[i.name] ?? {}
    const spec: ManifestInput = { name: i.name, shape: ['batch', ...i.shape], dtype: 'float32', layout: extra.layout ?? layoutOf(i.shape) }
    if (i.shape.length === 3) {
      spec.channels = extra.channels ?? i.shape[0]
      spec.size = extra.size ?? { width: i.shape[2], height: i.shape[1] }
    }
    if (extra.normalisation) spec.normalisation = extra.normalisation
    if (extra.features) spec.features = extra.features
    return spec
  })
  const outputs: OutputSpec[] = [
    ...built.heads.map((h): OutputSpec => {
      const o: OutputSpec = {
        name: h.name,
        shape: h.shape,
        dtype: 'float32',
        kind: h.activation === 'none' ? 'map' : 'probabilities',
        activation: h.activation
      }
      if (h.head.labels) o.labels = h.head.labels
      return o
    }),
    ...built.extras.map((e): OutputSpec => ({ name: e.name, shape: e.shape, dtype: 'float32', kind: 'features' }))
  ]
  const classCounts: Record<string, number> = {}
  const counts = info.training?.classCounts ?? {}
  const single = Object.keys(counts).length === 1
  for (const [head, perLabel] of Object.entries(counts)) for (const [label, n] of Object.entries(perLabel)) classCounts[single ? label : `${head}.${label}`] = n

  const candidate = {
    schemaVersion: 1,
    name: info.name,
    version: info.version,
    parent: info.parent,
    task: info.task,
    description: info.description ?? '',
    labels: info.labels ?? network.heads[0]?.labels ?? [],
    inputs,
    outputs,
    training:
      info.training || info.datasets
        ? {
            datasets: info.datasets ?? [],
            ...(info.training ? { epochs: info.training.epochsRun, seconds: info.training.seconds } : {}),
            hyperparameters: info.hyperparameters ?? {},
            ...(Object.keys(classCounts).length ? { classCounts } : {}),
            ...(info.notes ? { notes: info.notes } : {})
          }
        : null,
    metrics: Object.fromEntries(Object.entries({ ...(info.training?.metrics ?? {}), ...(info.metrics ?? {}) }).filter(([, v]) => Number.isFinite(v))),
    ...(info.licence ? { licence: info.licence } : {}),
    created: new Date().toISOString(),
    sha256: createHash('sha256').update(onnx).digest('hex')
  }
  const parsed = manifestSchema.safeParse(candidate)
  if (!parsed.success) {
    throw new LabError('invalid_argument', `The model's manifest is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`)
  }
  return { onnx, manifest: parsed.data }
}

/** Loads the exported graph in onnxruntime and runs it on one zero sample. */
async function checkRuns(network: NetworkSpec, onnx: Uint8Array): Promise<void> {
  const ort = await loadOrt()
  const session = await createSession(onnx, { threads: 1 })
  try {
    const feeds = Object.fromEntries(network.inputs.map((i) => [i.name, new ort.Tensor('float32', new Float32Array(i.shape.reduce((a, b) => a * b, 1)), [1, ...i.shape])]))
    await session.run(feeds)
  } finally {
    await session.release()
  }
}

/**
 * Writes dir/model.onnx and dir/manifest.json (each through a temporary file and a rename). Refuses a
 * folder that already holds a model, so nothing stored is overwritten.
 */
export async function writeModel(dir: string, model: ExportedModel): Promise<{ model: string; manifest: string }> {
  const modelFile = path.join(dir, 'model.onnx')
  const manifestFile = path.join(dir, 'manifest.json')
  for (const f of [modelFile, manifestFile]) {
    const exists = await stat(f).then(
      () => true,
      () => false
    )
    if (exists) throw new LabError('conflict', `${f} already exists; a trained model is never written over another.`, { file: f })
  }
  await mkdir(dir, { recursive: true })
  const tmpModel = `${modelFile}.tmp-${process.pid}`
  const tmpManifest = `${manifestFile}.tmp-${process.pid}`
  let modelPlaced = false
  try {
    await writeFile(tmpModel, model.onnx)
    await writeFile(tmpManifest, JSON.stringify(model.manifest, null, 2) + '\n')
    await rename(tmpModel, modelFile)
    modelPlaced = true
    await rename(tmpManifest, manifestFile)
  } catch (err) {
    // Never leave a model without its manifest.
    await rm(tmpModel, { force: true })
    await rm(tmpManifest, { force: true })
    if (modelPlaced) await rm(modelFile, { force: true })
    throw new LabError('internal', `Could not write the model to ${dir}: ${(err as Error).message}`, { file: dir })
  }
  return { model: modelFile, manifest: manifestFile }
}
