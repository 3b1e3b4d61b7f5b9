/**
 * A trained chromosome classifier on disk: `model.onnx` (the plain inference graph: view tensors and
 * features in, type and polarity probabilities out) and `manifest.json` (the registry's schema). What the
 * pipeline needs to prepare inputs travels in the manifest: view sizes in the inputs' `size`, and in
 * `training.hyperparameters` the stain, the view layout, the feature order, the architecture (to
 * continue training from this model) and fingerprints of the cells it learnt from (so evaluation never
 * scores a model on its own training cells).
 */
import { createHash, randomUUID } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import onnxProto from 'onnx-proto'
import { LabError } from '../../errors'
import { manifestSchema, type ModelManifest, type ModelManifestInput } from '../../ml/registry/manifest'
import { parseManifest } from '../../ml/registry'
import { networkParams, type NetworkSpec, type Weights } from '../../ml/train'
import { chromosomeTypes, type Stain } from '../types'
import { featureNames } from './features'
import { defaultArchitecture, inputNames, outputNames, polarityLabel, type ClassifierArchitecture } from './model'
import type { ViewConfig } from './views'

const { onnx } = onnxProto

/** What a classifier model's manifest says about preparing its inputs. */
export interface ClassifierSettings {
  stain: Stain
  views: ViewConfig
  architecture: ClassifierArchitecture
  /** Fingerprints (see cellFingerprint) of the cells used for training and model selection. */
  seenCells: Set<string>
}

export interface ClassifierModelFiles {
  dir: string
  modelFile: string
  manifest: ModelManifest
  settings: ClassifierSettings
}

function image(name: string, size: { width: number; height: number }): ModelManifestInput['inputs'][number] {
  return {
    name,
    shape: ['batch', 1, size.height, size.width],
    dtype: 'float32',
    size,
    channels: 1,
    layout: 'NCHW',
    // Stain density: (255 − normalised grey) / 255, chromosome bright on a 0 background.
    normalisation: { scale: 255, mean: [0], std: [1] }
  }
}

export interface ManifestFacts {
  name: string
  version: string
  parent: string | null
  stain: Stain
  views: ViewConfig
  architecture: ClassifierArchitecture
  datasets: { name: string; samples: number; split?: string }[]
  epochs: number
  seconds: number
  hyperparameters: Record<string, number | string | boolean>
  classCounts?: Record<string, number>
  seenCells: string[]
  metrics: Record<string, number>
  notes: string
}

/** The registry variant of a stain's classifier: one G-band and one Q-band model are active side by side. */
export const stainVariant: Record<Stain, string> = { G: 'gband', Q: 'qband' }

export function classifierManifest(f: ManifestFacts): ModelManifest {
  const stainWords = f.stain === 'G' ? 'G-banded' : 'Q-banded'
  const input: ModelManifestInput = {
    schemaVersion: 1,
    name: f.name,
    version: f.version,
    parent: f.parent,
    task: 'chromosome-classification',
    variant: stainVariant[f.stain],
    description:
      `${stainWords} chromosome type (1–22, X, Y) and polarity (p-arm down) from a global view, two zoomed local views ` +
      '(upper and lower part) and cell-relative size and centromere features; dispatched per cell by karyotype/dispatch.',
    labels: [...chromosomeTypes],
    inputs: [
      image(inputNames.global, f.views.global),
      image(inputNames.upper, f.views.local),
      image(inputNames.lower, f.views.local),
      { name: inputNames.features, shape: ['batch', featureNames.length], dtype: 'float32', layout: 'NC' }
    ],
    outputs: [
      { name: outputNames.type, shape: ['batch', chromosomeTypes.length], dtype: 'float32', kind: 'probabilities', activation: 'softmax', labels: [...chromosomeTypes] },
      { name: outputNames.polarity, shape: ['batch', 1], dtype: 'float32', kind: 'probabilities', activation: 'sigmoid', labels: [polarityLabel] }
    ],
    training: {
      datasets: f.datasets,
      epochs: f.epochs,
      seconds: Math.round(f.seconds),
      hyperparameters: {
        ...f.hyperparameters,
        stain: f.stain,
        views: JSON.stringify(f.views),
        features: featureNames.join(','),
        architecture: JSON.stringify(f.architecture),
        seenCells: f.seenCells.join(',')
      },
      classCounts: f.classCounts,
      notes: f.notes
    },
    metrics: f.metrics,
    created: new Date().toISOString()
  }
  return manifestSchema.parse(input)
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Writes model.onnx and manifest.json (sha256 filled in), each through a temporary file. */
export async function writeClassifierModel(dir: string, onnxBytes: Uint8Array, manifest: ModelManifest): Promise<ModelManifest> {
  await mkdir(dir, { recursive: true })
  const full = { ...manifest, sha256: sha256Hex(onnxBytes) }
  const tag = randomUUID().slice(0, 8)
  const modelTmp = path.join(dir, `model.onnx.${tag}.tmp`)
  const manifestTmp = path.join(dir, `manifest.json.${tag}.tmp`)
  await writeFile(modelTmp, onnxBytes)
  await writeFile(manifestTmp, JSON.stringify(full, null, 2) + '\n')
  await rename(modelTmp, path.join(dir, 'model.onnx'))
  await rename(manifestTmp, path.join(dir, 'manifest.json'))
  return full
}

function settingsOf(m: ModelManifest, file: string): ClassifierSettings {
  const hp = m.training?.hyperparameters ?? {}
  const bad = (what: string): never => {
    throw new LabError('bad_input', `${file} is not a chromosome classifier manifest: ${what}.`, { file })
  }
  if (m.task !== 'chromosome-classification') bad(`its task is ${m.task}`)
  const stain = hp['stain']
  if (stain !== 'G' && stain !== 'Q') bad('training.hyperparameters.stain must be "G" or "Q"')
  if (m.variant !== stainVariant[stain as Stain]) bad(`its variant "${m.variant}" is not "${stainVariant[stain as Stain]}", the variant of ${stain}-banded models`)
  if (hp['features'] !== featureNames.join(',')) bad(`its features (${String(hp['features'])}) are not ${featureNames.join(',')}`)
  let views: ViewConfig
  let architecture: ClassifierArchitecture
  try {
    views = JSON.parse(String(hp['views'])) as ViewConfig
    architecture = { ...defaultArchitecture, ...(JSON.parse(String(hp['architecture'] ?? '{}')) as Partial<ClassifierArchitecture>) }
  } catch {
    return bad('its views or architecture are not valid JSON')
  }
  if (!(views.global?.width > 0 && views.local?.height > 0 && views.localFraction > 0)) bad('its view sizes are missing')
  const seen = String(hp['seenCells'] ?? '')
  return { stain: stain as Stain, views, architecture, seenCells: new Set(seen ? seen.split(',') : []) }
}

/** Reads and checks a classifier model folder (manifest valid, model file present and matching its sha256). */
export async function readClassifierModel(dir: string): Promise<ClassifierModelFiles> {
  const manifestFile = path.join(dir, 'manifest.json')
  let text: string
  try {
    text = await readFile(manifestFile, 'utf8')
  } catch {
    throw new LabError('not_found', `No chromosome classifier in ${dir}: manifest.json is missing.`, { file: manifestFile })
  }
  const manifest = parseManifest(text, manifestFile)
  const settings = settingsOf(manifest, manifestFile)
  const modelFile = path.join(dir, 'model.onnx')
  let bytes: Uint8Array
  try {
    bytes = await readFile(modelFile)
  } catch {
    throw new LabError('not_found', `The chromosome classifier in ${dir} has no model.onnx.`, { file: modelFile })
  }
  if (manifest.sha256 && sha256Hex(bytes) !== manifest.sha256) {
    throw new LabError('bad_input', `${modelFile} does not match the sha256 in its manifest (the file was changed or damaged).`, { file: modelFile })
  }
  return { dir, modelFile, manifest, settings }
}

/** The network's weights read back from an exported model (to continue training from it). */
export async function readModelWeights(modelFile: string, network: NetworkSpec): Promise<Weights> {
  const model = onnx.ModelProto.decode(await readFile(modelFile))
  const byName = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]))
  const weights: Weights = {}
  for (const p of networkParams(network)) {
    const t = byName.get(p.name)
    const size = p.shape.reduce((a, b) => a * b, 1)
    let data: Float32Array | null = null
    if (t?.rawData && t.rawData.length === size * 4) {
      data = new Float32Array(size)
      new Uint8Array(data.buffer).set(t.rawData)
    } else if (t?.floatData && t.floatData.length === size) data = Float32Array.from(t.floatData)
    if (!data) throw new LabError('bad_input', `${modelFile} has no weights "${p.name}" of shape [${p.shape}]: it was made for a different network.`, { file: modelFile })
    weights[p.name] = { shape: p.shape, data }
  }
  return weights
}
