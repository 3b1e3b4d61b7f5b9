/**
 * X-ray features through the feature network (feature-network.ts), with the feature cache: images are
 * keyed by the SHA-256 of their file bytes (or of their pixels, for in-memory rasters) under the
 * network's cache id, so training and re-training heads never run the backbone twice on one image.
 * Misses are decoded (xrayRaster: DICOM windows, MONOCHROME1, 16-bit all handled), turned into the
 * backbone's input and run in batches; the next batch is decoded while onnxruntime runs this one.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { FeatureCache } from '../../../preload/api'
import { LabError } from '../../errors'
import type { GreyRaster } from '../../imaging/raster'
import type { RegisteredModel } from '../../ml/registry'
import type { InputSpec } from '../../ml/registry/manifest'
import type { ModelRuntime, ModelSession } from '../../ml/runtime'
import { xrayRaster } from '../index'
import { inputGeometry, modelInput } from '../preprocess/model-input'
import { featureCacheId, featureNetworkOnnx, type FeatureSpec } from './feature-network'

export interface XrayFeatureNetwork {
  spec: FeatureSpec
  /** The feature cache's key for this network. */
  cacheId: string
  dim: number
  taps: { name: string; channels: number }[]
  /** The backbone's image input (size, normalisation). */
  input: InputSpec
  session: ModelSession
}

/** Builds (once per runtime and spec) the feature network from a registered backbone. */
export async function loadFeatureNetwork(runtime: ModelRuntime, backbone: RegisteredModel, spec: FeatureSpec): Promise<XrayFeatureNetwork> {
  if (backbone.manifest.name !== spec.backbone || backbone.manifest.version !== spec.version) {
    throw new LabError('unavailable', `The X-ray heads need the backbone ${spec.backbone}@${spec.version}; ${backbone.id} is installed.`)
  }
  let bytes: Uint8Array
  try {
    bytes = await readFile(backbone.modelFile)
  } catch {
    throw new LabError('unavailable', `The backbone file ${backbone.modelFile} is missing: run \`npm run build\` to convert it.`, { file: backbone.modelFile })
  }
  const sha = backbone.manifest.sha256
  if (sha && createHash('sha256').update(bytes).digest('hex') !== sha) {
    throw new LabError('bad_input', `${backbone.modelFile} does not match its manifest's SHA-256: the backbone file was changed or damaged.`, { file: backbone.modelFile })
  }
  const cacheId = featureCacheId(spec)
  const built = featureNetworkOnnx(bytes, spec)
  const session = await runtime.session({ bytes: built.onnx, key: `${cacheId}#${sha ?? backbone.id}` })
  return { spec, cacheId, dim: built.dim, taps: built.taps, input: backbone.manifest.inputs[0], session }
}

/** An image to compute features for. */
export type FeatureSource = { path: string } | { bytes: Uint8Array; name: string } | { raster: GreyRaster<Uint8Array>; name: string }

export function sourceName(s: FeatureSource): string {
  return 'path' in s ? path.basename(s.path) : s.name
}

async function sourceBytes(s: FeatureSource): Promise<Uint8Array | null> {
  if ('raster' in s) return null
  if ('bytes' in s) return s.bytes
  try {
    return await readFile(s.path)
  } catch (err) {
    throw new LabError('not_found', `Could not read ${s.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file: s.path })
  }
}

async function sourceHash(s: FeatureSource): Promise<string> {
  if ('raster' in s) {
    const r = s.raster
    return createHash('sha256').update(`grey:${r.width}x${r.height}:`).update(r.data).digest('hex')
  }
  return createHash('sha256').update((await sourceBytes(s))!).digest('hex')
}

export async function sourceRaster(s: FeatureSource): Promise<GreyRaster<Uint8Array>> {
  if ('raster' in s) return s.raster
  return xrayRaster((await sourceBytes(s))!, sourceName(s))
}

/** Runs the feature network on a batch of prepared inputs (each C×H×W); returns one vector per input. */
export async function runFeatureNetwork(net: XrayFeatureNetwork, batch: Float32Array, count: number, maps = false): Promise<{ features: Float32Array[]; maps: Record<string, { data: Float32Array; dims: number[] }> }> {
  const g = inputGeometry(net.input)
  const fetches = ['features', ...(maps ? net.taps.map((t) => `map:${t.name}`) : [])]
  const out = await net.session.run({ image: { dtype: 'float32', data: batch.subarray(0, count * g.channels * g.width * g.height), dims: [count, g.channels, g.height, g.width] } }, fetches)
  const f = out['features'].data as Float32Array
  const features = Array.from({ length: count }, (_, i) => f.slice(i * net.dim, (i + 1) * net.dim))
  const mapsOut: Record<string, { data: Float32Array; dims: number[] }> = {}
  if (maps) for (const t of net.taps) mapsOut[t.name] = { data: out[`map:${t.name}`].data as Float32Array, dims: out[`map:${t.name}`].dims }
  return { features, maps: mapsOut }
}

export interface ComputeOptions {
  cache?: FeatureCache | null
  /** Images per onnxruntime run (default 8). */
  batchSize?: number
  onProgress?: (done: number, total: number, fromCache: number) => void
  signal?: AbortSignal
}

/** Features for every source, in order: from the cache where present, computed (and cached) otherwise. */
export async function computeFeatures(net: XrayFeatureNetwork, sources: FeatureSource[], o: ComputeOptions = {}): Promise<Float32Array[]> {
  const batchSize = o.batchSize ?? 8
  const results: (Float32Array | null)[] = new Array(sources.length).fill(null)
  const pending: { index: number; hash: string }[] = []
  for (let start = 0; start < sources.length; start += 64) {
    const group = sources.slice(start, start + 64)
    const hashes = await Promise.all(group.map(sourceHash))
    const hits = o.cache ? await o.cache.get(hashes.map((hash) => ({ backbone: net.cacheId, hash }))) : hashes.map(() => null)
    hashes.forEach((hash, i) => {
      const v = hits[i]?.outputs['features']
      if (v && v.length === net.dim) results[start + i] = v
      else pending.push({ index: start + i, hash })
    })
  }
  const fromCache = sources.length - pending.length
  let done = fromCache
  o.onProgress?.(done, sources.length, fromCache)

  const g = inputGeometry(net.input)
  const per = g.channels * g.width * g.height
  const prepare = async (start: number) => {
    const items = pending.slice(start, start + batchSize)
    const batch = new Float32Array(items.length * per)
    await Promise.all(items.map(async (p, k) => modelInput(await sourceRaster(sources[p.index]), net.input, { into: batch, offset: k * per })))
    return { items, batch }
  }
  let next = pending.length > 0 ? prepare(0) : null
  for (let start = 0; next; start += batchSize) {
    if (o.signal?.aborted) throw new LabError('cancelled', 'Feature extraction was cancelled.')
    const { items, batch } = await next
    const running = runFeatureNetwork(net, batch, items.length)
    next = start + batchSize < pending.length ? prepare(start + batchSize) : null
    next?.catch(() => {})
    const { features } = await running
    await o.cache?.put(items.map((p, k) => ({ backbone: net.cacheId, hash: p.hash, outputs: { features: features[k] } })))
    items.forEach((p, k) => (results[p.index] = features[k]))
    done += items.length
    o.onProgress?.(done, sources.length, fromCache)
  }
  return results as Float32Array[]
}
