/**
 * X-ray features through the feature network (feature-network.ts), with the feature cache: images are
 * keyed by the SHA-256 of their file bytes (or of their pixels, for in-memory rasters) under the
 * network's cache id, so training and re-training heads never run the backbone twice on one image.
 * Misses are decoded (DICOM windows, MONOCHROME1, 16-bit all handled), turned into the backbone's input
 * on the preparation workers (prepare/prepare-pool.ts) and run in batches; the next batches are prepared
 * while onnxruntime runs this one.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { FeatureCache } from '../../../preload/api'
import { LabError } from '../../errors'
import type { RegisteredModel } from '../../ml/registry'
import type { InputSpec } from '../../ml/registry/manifest'
import type { ModelRuntime, ModelSession } from '../../ml/runtime'
import { preparedBatches } from '../prepare/batches'
import { sourceBytes, type FeatureSource } from '../prepare/source'
import { inputGeometry } from '../preprocess/model-input'
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

export { sourceName, sourceRaster, type FeatureSource } from '../prepare/source'

async function sourceHash(s: FeatureSource): Promise<string> {
  if ('raster' in s) {
    const r = s.raster
    return createHash('sha256').update(`grey:${r.width}x${r.height}:`).update(r.data).digest('hex')
  }
  return createHash('sha256').update((await sourceBytes(s))!).digest('hex')
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

  // Files are read again by the preparation workers (the hash above read them once already).
  for await (const batch of preparedBatches(pending.map((p) => sources[p.index]), net.input, batchSize)) {
    if (o.signal?.aborted) throw new LabError('cancelled', 'Feature extraction was cancelled.')
    if (batch.failed.length) throw batch.failed[0].error
    const items = pending.slice(batch.start, batch.start + batch.size)
    const { features } = await runFeatureNetwork(net, batch.data as Float32Array, items.length)
    await o.cache?.put(items.map((p, k) => ({ backbone: net.cacheId, hash: p.hash, outputs: { features: features[k] } })))
    items.forEach((p, k) => (results[p.index] = features[k]))
    done += items.length
    o.onProgress?.(done, sources.length, fromCache)
  }
  return results as Float32Array[]
}
