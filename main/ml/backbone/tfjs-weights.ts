/**
 * Reads a TF.js "layers" model as nsfwjs ships it: the model JSON and the weight shards are each wrapped
 * in a small UMD module (the JSON as an object, a shard as a base64 string). Weights are uint8-quantised;
 * they are restored exactly as TF.js restores them (`q * scale + min`, stored as float32).
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { LabError } from '../../errors'

export interface KerasLayer {
  name: string
  class_name: string
  config: Record<string, unknown>
  /** [[[inboundLayer, nodeIndex, tensorIndex, kwargs], ...]] */
  inbound_nodes: [string, number, number, unknown][][]
}

export interface WeightSpec {
  name: string
  shape: number[]
  dtype: string
  quantization?: { dtype: string; min?: number; scale?: number }
}

export interface TfjsLayersModel {
  /** Keras topology as TF.js stores it (model_config with class_name 'Model'). */
  modelTopology: { keras_version?: string; model_config: { class_name: string; config: { layers: KerasLayer[] } } }
  weightSpecs: WeightSpec[]
  /** The shards' bytes, concatenated in manifest order. */
  weightData: Uint8Array
  /** SHA-256 over the files read, so a build can tell whether its output is up to date. */
  sourceSha256: string
}

export interface Weight {
  shape: number[]
  values: Float32Array
}

const require = createRequire(import.meta.url)

/** Loads `<dir>/model.min.js` and the shards its manifest names (`<path>.min.js`). */
export async function readNsfwjsModel(dir: string): Promise<TfjsLayersModel> {
  const modelFile = path.join(dir, 'model.min.js')
  const hash = createHash('sha256')
  hash.update(await readFile(modelFile).catch(() => {
    throw new LabError('not_found', `No TF.js model at ${modelFile}: is nsfwjs installed (npm ci)?`, { file: modelFile })
  }))
  const model = require(modelFile) as {
    modelTopology: TfjsLayersModel['modelTopology']
    weightsManifest: { paths: string[]; weights: WeightSpec[] }[]
  }
  if (!model?.modelTopology || !Array.isArray(model.weightsManifest)) {
    throw new LabError('bad_input', `${modelFile} is not a TF.js layers model (no modelTopology/weightsManifest).`, { file: modelFile })
  }
  const chunks: Uint8Array[] = []
  const weightSpecs: WeightSpec[] = []
  for (const group of model.weightsManifest) {
    for (const shard of group.paths) {
      const shardFile = path.join(dir, `${shard}.min.js`)
      hash.update(await readFile(shardFile))
      const base64 = require(shardFile) as unknown
      if (typeof base64 !== 'string') throw new LabError('bad_input', `${shardFile} does not hold a base64 weight shard.`, { file: shardFile })
      chunks.push(Buffer.from(base64, 'base64'))
    }
    weightSpecs.push(...group.weights)
  }
  const weightData = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let offset = 0
  for (const c of chunks) {
    weightData.set(c, offset)
    offset += c.length
  }
  return { modelTopology: model.modelTopology, weightSpecs, weightData, sourceSha256: hash.digest('hex') }
}

/** Dequantises every weight, by name. */
export function decodeWeights(model: TfjsLayersModel): Map<string, Weight> {
  const out = new Map<string, Weight>()
  let offset = 0
  for (const spec of model.weightSpecs) {
    const size = spec.shape.reduce((a, b) => a * b, 1)
    const q = spec.quantization
    if (spec.dtype !== 'float32') throw new LabError('unsupported', `Weight ${spec.name} has dtype ${spec.dtype}; only float32 is supported.`)
    const values = new Float32Array(size)
    if (!q) {
      const view = new DataView(model.weightData.buffer, model.weightData.byteOffset + offset, size * 4)
      for (let i = 0; i < size; i++) values[i] = view.getFloat32(i * 4, true)
      offset += size * 4
    } else if (q.dtype === 'uint8' && q.min !== undefined && q.scale !== undefined) {
      for (let i = 0; i < size; i++) values[i] = model.weightData[offset + i] * q.scale + q.min
      offset += size
    } else {
      throw new LabError('unsupported', `Weight ${spec.name} uses ${q.dtype} quantisation, which the converter does not read.`)
    }
    out.set(spec.name, { shape: spec.shape, values })
  }
  if (offset !== model.weightData.length) {
    throw new LabError('bad_input', `The weight shards hold ${model.weightData.length} bytes but the manifest describes ${offset}.`)
  }
  return out
}
