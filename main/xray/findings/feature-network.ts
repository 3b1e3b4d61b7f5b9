/**
 * The X-ray feature network, derived from the shipped backbone's ONNX graph (never retrained): the graph
 * is cut after the last layer the X-ray heads read (the ImageNet part of MobileNetV2, blocks 1–10, so
 * blocks 11–16 are not computed at all), each tapped activation is global-average-pooled and the pooled
 * vectors are concatenated into one multi-scale feature vector. With `flip`, the image and its mirror
 * run as one batch inside the graph and their features are averaged (flip test-time augmentation).
 *
 * Why: on NIH ChestX-ray14 the pooled activations of the early and middle blocks separate findings
 * better than the final 1280-d features nsfwjs fine-tuned (README, "X-ray findings"), and cutting the
 * graph makes one pass about 1.6× faster than the full backbone.
 *
 * Outputs: `features` [N, D] and, for heatmaps, each tap's activation map as `map:<tap>` [N or 2N, C, h, w]
 * (with flip, rows N…2N−1 are the mirrored images). Same spec and backbone → same bytes.
 */
import { createHash } from 'node:crypto'
import onnxProto, { type onnx as Onnx } from 'onnx-proto'
import { LabError } from '../../errors'

const { onnx } = onnxProto

export interface FeatureSpec {
  /** Backbone name and version, as in its manifest. */
  backbone: string
  version: string
  /** Tensor names in the backbone graph whose pooled activations make the feature vector, in order. */
  taps: string[]
  /** Average the features of the image and its left–right mirror. */
  flip: boolean
}

/** The depthwise-convolution activation of every inverted-residual block in the ImageNet part (1–10). */
export const defaultTaps = Array.from({ length: 10 }, (_, i) => `block_${i + 1}_depthwise`)

export function defaultFeatureSpec(backbone: { name: string; version: string }): FeatureSpec {
  return { backbone: backbone.name, version: backbone.version, taps: defaultTaps, flip: true }
}

/** The feature cache's backbone key: the backbone plus a digest of the spec, so that different specs never mix. */
export function featureCacheId(spec: FeatureSpec): string {
  const digest = createHash('sha256').update(JSON.stringify({ taps: spec.taps, flip: spec.flip, pooling: 'gap' })).digest('hex').slice(0, 10)
  return `${spec.backbone}@${spec.version}+xray-${digest}`
}

/** How the spec is written into a head's manifest (training.hyperparameters), and read back. */
export function specToHyperparameters(spec: FeatureSpec): Record<string, string | boolean> {
  return { 'features.taps': spec.taps.join(','), 'features.flip': spec.flip, 'features.pooling': 'gap' }
}

export function specFromHyperparameters(backbone: { backbone: string; version: string }, h: Record<string, unknown>, file: string): FeatureSpec {
  const taps = h['features.taps']
  if (typeof taps !== 'string' || taps.length === 0) {
    throw new LabError('bad_input', `${file} does not say which backbone layers its features come from (training.hyperparameters["features.taps"]).`, { file })
  }
  if (h['features.pooling'] !== undefined && h['features.pooling'] !== 'gap') {
    throw new LabError('unsupported', `${file} asks for "${String(h['features.pooling'])}" pooling; only global average pooling ("gap") is supported.`, { file })
  }
  return { ...backbone, taps: taps.split(','), flip: h['features.flip'] === true }
}

interface TapInfo {
  name: string
  channels: number
}

type Long = { toNumber(): number }
const num = (v: number | Long | null | undefined): number => (v == null ? 0 : typeof v === 'number' ? v : v.toNumber())

function valueInfo(name: string, dims: (number | string)[]): Onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } }
}

function int64s(name: string, values: number[]): Onnx.ITensorProto {
  return { name, dataType: onnx.TensorProto.DataType.INT64, dims: [values.length], int64Data: values }
}

/** Output channels of a tapped tensor: from the conv that makes it (directly or through an activation). */
function tapChannels(graph: Onnx.IGraphProto, tap: string): number {
  const producers = new Map<string, Onnx.INodeProto>()
  for (const n of graph.node ?? []) for (const o of n.output ?? []) producers.set(o, n)
  const weights = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]))
  let name = tap
  for (let hops = 0; hops < 8; hops++) {
    const node = producers.get(name)
    if (!node) break
    if (node.opType === 'Conv') return num(weights.get(node.input?.[1] ?? '')?.dims?.[0])
    name = node.input?.[0] ?? ''
  }
  return 0
}

/**
 * Builds the feature network from the backbone's ONNX bytes. Throws 'bad_input' when a tap is not a
 * tensor of the backbone (a head made for another backbone).
 */
export function featureNetworkOnnx(backboneOnnx: Uint8Array, spec: FeatureSpec): { onnx: Uint8Array; taps: TapInfo[]; dim: number } {
  const model = onnx.ModelProto.decode(backboneOnnx)
  const graph = model.graph
  if (!graph || (graph.input ?? []).length !== 1) throw new LabError('bad_input', `The backbone ${spec.backbone}@${spec.version} is not a single-input image model.`)
  const produced = new Set((graph.node ?? []).flatMap((n) => n.output ?? []))
  const missing = spec.taps.filter((t) => !produced.has(t))
  if (missing.length > 0) {
    throw new LabError('bad_input', `The backbone ${spec.backbone}@${spec.version} has no layer${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: the head was made for another backbone.`)
  }
  const imageName = graph.input![0].name ?? 'image'
  const imageDims = graph.input![0].type?.tensorType?.shape?.dim ?? []
  const [c, h, w] = imageDims.slice(1).map((d) => num(d.dimValue))

  // Keep only the nodes the taps depend on, in their original (topological) order.
  const needed = new Set(spec.taps)
  const kept = [...(graph.node ?? [])]
    .reverse()
    .filter((n) => {
      if (!(n.output ?? []).some((o) => needed.has(o))) return false
      for (const i of n.input ?? []) needed.add(i)
      return true
    })
    .reverse()
  const taps = spec.taps.map((name) => ({ name, channels: tapChannels(graph, name) }))
  const dim = taps.reduce((s, t) => s + t.channels, 0)

  const nodes: Onnx.INodeProto[] = []
  const initializers: Onnx.ITensorProto[] = (graph.initializer ?? []).filter((t) => needed.has(t.name ?? ''))
  const node = (opType: string, input: string[], output: string[], attribute: Onnx.IAttributeProto[] = []) =>
    nodes.push({ name: `xray.${output[0]}`, opType, input, output, attribute })
  const ints = (name: string, values: number[]): Onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values })
  const int = (name: string, value: number): Onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: value })

  // The backbone reads its input under the new name `xray.batch` (image, then its mirror when flipping).
  const batchName = 'xray.batch'
  if (spec.flip) {
    initializers.push(int64s('xray.flip.starts', [-1]), int64s('xray.flip.ends', [-(2 ** 53 - 1)]), int64s('xray.flip.axes', [3]), int64s('xray.flip.steps', [-1]))
    node('Slice', ['image', 'xray.flip.starts', 'xray.flip.ends', 'xray.flip.axes', 'xray.flip.steps'], ['xray.mirror'])
    node('Concat', ['image', 'xray.mirror'], [batchName], [int('axis', 0)])
  } else node('Identity', ['image'], [batchName])
  const renamed = kept.map((n) => ({ ...n, input: (n.input ?? []).map((i) => (i === imageName ? batchName : i)) }))

  const pooled = taps.map((t) => {
    node('GlobalAveragePool', [t.name], [`xray.gap.${t.name}`])
    node('Flatten', [`xray.gap.${t.name}`], [`xray.vec.${t.name}`], [int('axis', 1)])
    node('Identity', [t.name], [`map:${t.name}`])
    return `xray.vec.${t.name}`
  })
  node('Concat', pooled, [spec.flip ? 'xray.both' : 'features'], [int('axis', 1)])
  if (spec.flip) {
    initializers.push(int64s('xray.pair.shape', [2, -1, dim]))
    node('Reshape', ['xray.both', 'xray.pair.shape'], ['xray.pairs'])
    node('ReduceMean', ['xray.pairs'], ['features'], [ints('axes', [0]), int('keepdims', 0)])
  }

  const out: Onnx.IModelProto = {
    irVersion: model.irVersion,
    producerName: 'lightbox-xray-features',
    producerVersion: '1',
    docString: `X-ray features from ${spec.backbone}@${spec.version}: GAP of ${spec.taps.join(', ')}${spec.flip ? ', averaged with the mirror image' : ''}`,
    opsetImport: model.opsetImport,
    graph: {
      name: 'xray_features',
      input: [valueInfo('image', ['batch', c, h, w])],
      output: [valueInfo('features', ['batch', dim]), ...taps.map((t) => valueInfo(`map:${t.name}`, [spec.flip ? 'batch2' : 'batch', t.channels, `${t.name}.h`, `${t.name}.w`]))],
      initializer: initializers,
      node: [...nodes.slice(0, spec.flip ? 2 : 1), ...renamed, ...nodes.slice(spec.flip ? 2 : 1)]
    }
  }
  return { onnx: onnx.ModelProto.encode(out).finish(), taps, dim }
}
