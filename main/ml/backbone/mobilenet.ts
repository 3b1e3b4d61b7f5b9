/**
 * The shipped backbone: Keras MobileNetV2 (alpha 1.0, 224×224) as nsfwjs@4.4.0 ships it (MIT). Its layers up
 * to block_10_project_BN are the frozen ImageNet weights; blocks 11–16 and Conv_1 were fine-tuned by nsfwjs
 * on another task. Converted to ONNX at build time (scripts/convert-mobilenet.ts) with two feature vectors
 * (block 10, the ImageNet part, and the final 1280-d pooling) and the maps they pool, for heatmaps.
 *
 * The conversion is deterministic: the same nsfwjs files and converter give the same bytes. The .onnx is a
 * build output (not committed); its manifest is committed and records the SHA-256 of both.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { repoRoot } from '../../app/paths'
import { manifestSchema, type ModelManifest } from '../registry/manifest'
import { buildProgram, type OutputRequest, type Program } from './keras-program'
import { programToOnnx } from './onnx-program'
import { decodeWeights, readNsfwjsModel } from './tfjs-weights'

export const mobilenetName = 'mobilenet-v2'
/** Bump when the converted graph's outputs change meaning: feature caches are keyed by it. */
export const mobilenetVersion = '1.1.0'
export const mobilenetId = `${mobilenetName}@${mobilenetVersion}`
export const imageSize = 224

export const mobilenetOutputs: (OutputRequest & { kind: 'features' | 'map'; about: string })[] = [
  { name: 'features', layer: 'out_relu', pool: true, kind: 'features', about: 'final 1280-d global average pooling (blocks 11–16 fine-tuned by nsfwjs)' },
  { name: 'block10', layer: 'block_10_project_BN', pool: true, kind: 'features', about: '96-d pooled output of block 10 (ImageNet weights)' },
  { name: 'features_map', layer: 'out_relu', kind: 'map', about: '1280×7×7 map before the final pooling' },
  { name: 'block10_map', layer: 'block_10_project_BN', kind: 'map', about: '96×14×14 map of block 10' }
]

/**
 * Pixels are scaled to [0, 1], as nsfwjs feeds them (`img / 255`) to the whole network, fine-tuned blocks
 * included. (Keras' ImageNet preprocessing would be [-1, 1]; on NIH Pneumonia vs No Finding a linear probe
 * on [0, 1] inputs scored higher at both feature outputs: validation AUC 0.90 vs 0.88 at block 10.)
 */
export const mobilenetNormalisation = { scale: 255, mean: [0, 0, 0], std: [1, 1, 1] }

export function nsfwjsModelDir(root = repoRoot): string {
  return path.join(root, 'node_modules', 'nsfwjs', 'dist', 'models', 'mobilenet_v2')
}

export function mobilenetDir(resourcesDir: string): string {
  return path.join(resourcesDir, 'models', mobilenetName)
}

function nsfwjsVersion(root: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(root, 'node_modules', 'nsfwjs', 'package.json'), 'utf8')) as { version: string }).version
  } catch {
    return 'unknown'
  }
}

/** Source files whose change must trigger a new conversion. */
const converterFiles = [
  'main/ml/backbone/mobilenet.ts',
  'main/ml/backbone/keras-program.ts',
  'main/ml/backbone/onnx-program.ts',
  'main/ml/backbone/tfjs-weights.ts',
  'main/ml/registry/onnx-build.ts',
  'node_modules/onnx-proto/package.json'
]

function inputsSha256(sourceSha256: string, root: string): string {
  const hash = createHash('sha256').update(sourceSha256)
  for (const f of converterFiles) {
    const file = path.join(root, f)
    hash.update(f).update(existsSync(file) ? readFileSync(file) : '')
  }
  return hash.digest('hex')
}

export interface ConvertedModel {
  onnx: Uint8Array
  manifest: ModelManifest
  program: Program
}

/** Reads the nsfwjs weights and builds the program (used by the conversion and the benchmark's peer). */
export async function mobilenetProgram(sourceDir = nsfwjsModelDir()): Promise<{ program: Program; sourceSha256: string }> {
  const model = await readNsfwjsModel(sourceDir)
  const program = buildProgram(model.modelTopology.model_config.config.layers, decodeWeights(model), mobilenetOutputs, 'image')
  return { program, sourceSha256: model.sourceSha256 }
}

export async function convertMobilenet(root = repoRoot): Promise<ConvertedModel> {
  const { program, sourceSha256 } = await mobilenetProgram(nsfwjsModelDir(root))
  const version = nsfwjsVersion(root)
  const onnx = programToOnnx(program, {
    graphName: 'mobilenet_v2_features',
    producer: { name: 'lightbox-convert-mobilenet', version: mobilenetVersion },
    docString: `Keras MobileNetV2 from nsfwjs@${version} (MIT), batch norm folded, classifier removed.`,
    metadata: { source: `npm:nsfwjs@${version}`, frozen_until: 'block_10_project_BN' }
  })
  const shape = (name: string): (number | string)[] => {
    const o = program.outputs.find((x) => x.name === name)!.shape
    return o.spatial ? ['batch', o.channels, o.height, o.width] : ['batch', o.channels]
  }
  const manifest = manifestSchema.parse({
    schemaVersion: 1,
    name: mobilenetName,
    version: mobilenetVersion,
    parent: null,
    task: 'backbone',
    description:
      'MobileNetV2 (alpha 1.0, 224×224 RGB) feature extractor. Layers up to block_10_project_BN carry the ImageNet ' +
      'weights of keras.applications; blocks 11–16 and Conv_1 were fine-tuned by nsfwjs. Converted from the TF.js ' +
      'weights of nsfwjs with batch normalisation folded into the convolutions; the NSFW classifier is left out.',
    labels: [],
    inputs: [
      {
        name: 'image',
        shape: ['batch', 3, imageSize, imageSize],
        dtype: 'float32',
        size: { width: imageSize, height: imageSize },
        channels: 3,
        layout: 'NCHW',
        normalisation: mobilenetNormalisation
      }
    ],
    outputs: mobilenetOutputs.map((o) => ({ name: o.name, shape: shape(o.name), dtype: 'float32', kind: o.kind })),
    training: {
      datasets: [{ name: 'ImageNet ILSVRC-2012 (keras.applications weights, blocks ≤ 10)', samples: 1281167, split: 'train' }],
      hyperparameters: {},
      notes: 'Pretrained elsewhere; not trained by Lightbox. Blocks 11–16 and Conv_1 come from the nsfwjs fine-tuning.'
    },
    metrics: {},
    licence: 'MIT (nsfwjs); ImageNet weights from keras.applications (Apache-2.0)',
    // Fixed, so that the committed manifest does not change with every build: the converter version's date.
    created: '2026-01-01T00:00:00.000Z',
    sha256: createHash('sha256').update(onnx).digest('hex'),
    source: {
      origin: `npm:nsfwjs@${version}/dist/models/mobilenet_v2`,
      converter: 'scripts/convert-mobilenet.ts',
      inputsSha256: inputsSha256(sourceSha256, root)
    }
  })
  return { onnx, manifest, program }
}

export interface EnsureResult {
  status: 'converted' | 'up-to-date'
  modelFile: string
  manifest: ModelManifest
  seconds: number
}

/** Whether resources/models/mobilenet-v2 holds the file this source and converter would make. */
export async function mobilenetUpToDate(resourcesDir: string, root = repoRoot): Promise<ModelManifest | null> {
  const dir = mobilenetDir(resourcesDir)
  try {
    const manifest = manifestSchema.parse(JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')))
    const onnx = await readFile(path.join(dir, 'model.onnx'))
    const model = await readNsfwjsModel(nsfwjsModelDir(root))
    const fresh = manifest.source?.inputsSha256 === inputsSha256(model.sourceSha256, root)
    return fresh && manifest.sha256 === createHash('sha256').update(onnx).digest('hex') ? manifest : null
  } catch {
    return null
  }
}

/** Converts when the output is missing or stale; writes through temporary files so a crash leaves no half file. */
export async function ensureMobilenet(resourcesDir: string, options: { force?: boolean; root?: string } = {}): Promise<EnsureResult> {
  const started = performance.now()
  const dir = mobilenetDir(resourcesDir)
  const modelFile = path.join(dir, 'model.onnx')
  const current = options.force ? null : await mobilenetUpToDate(resourcesDir, options.root)
  if (current) return { status: 'up-to-date', modelFile, manifest: current, seconds: (performance.now() - started) / 1000 }
  const { onnx, manifest } = await convertMobilenet(options.root)
  await mkdir(dir, { recursive: true })
  const tag = `${process.pid}.tmp`
  await writeFile(`${modelFile}.${tag}`, onnx)
  await rename(`${modelFile}.${tag}`, modelFile)
  const manifestFile = path.join(dir, 'manifest.json')
  await writeFile(`${manifestFile}.${tag}`, JSON.stringify(manifest, null, 2) + '\n')
  await rename(`${manifestFile}.${tag}`, manifestFile)
  return { status: 'converted', modelFile, manifest, seconds: (performance.now() - started) / 1000 }
}
