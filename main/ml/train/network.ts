/**
 * Turns a NetworkSpec into graph ops, in training mode (batch statistics, dropout) or inference mode
 * (running statistics, no dropout). Parameters come from a callback so the same code serves the
 * training graph (parameters are inputs), evaluation and export (parameters are initializers).
 */
import { LabError } from '../../errors'
import { Graph, type Dim, type Value } from '../graph/graph'
import * as nn from '../graph/nn'
import * as op from '../graph/ops'
import { pair } from '../graph/shapes'
import type { LayerSpec, NetworkSpec, PoolLayer } from './spec'

export type Mode = 'train' | 'infer'

export interface ParamInfo {
  name: string
  shape: number[]
  /** Trained by the optimizer (false for batchnorm running statistics). */
  trainable: boolean
  /** PyTorch-default initialisation. */
  init: { kind: 'uniform'; bound: number } | { kind: 'constant'; value: number }
}

export interface BatchNormState {
  layer: string
  mean: Value
  variance: Value
  runningMean: string
  runningVar: string
  momentum: number
  /** Elements per channel in a batch (for the unbiased running variance). */
  count: number
}

export interface BuiltNetwork {
  /**
   * Every layer's output by layer name (inputs by input name). In training mode a convolution fused with
   * the batch norm after it (and its ReLU and max pooling) is one computation: the names inside such a
   * chain, read by nothing else, stand for intermediate values; the last layer's name has its output.
   */
  values: Map<string, Value>
  batchNorms: BatchNormState[]
}

export function layerName(layer: LayerSpec, index: number): string {
  return layer.name ?? `layer${index}`
}

function fail(message: string): never {
  throw new LabError('invalid_argument', `Network spec: ${message}`)
}

/** Parameters in a fixed order, resolved with weight sharing; shapes follow from the input shapes. */
export function networkParams(spec: NetworkSpec): ParamInfo[] {
  const params: ParamInfo[] = []
  const seen = new Set<string>()
  const shapes = inferShapes(spec)
  spec.layers.forEach((layer, i) => {
    if (layer.shareWeightsWith) return
    const name = layerName(layer, i)
    const inShape = shapes.inputOf.get(name)!
    const add = (p: ParamInfo) => {
      if (!seen.has(p.name)) params.push(p)
      seen.add(p.name)
    }
    if (layer.type === 'dense') {
      const fanIn = inShape[0]
      const bound = 1 / Math.sqrt(fanIn)
      add({ name: `${name}.weight`, shape: [layer.units, fanIn], trainable: true, init: { kind: 'uniform', bound } })
      if (layer.bias !== false) add({ name: `${name}.bias`, shape: [layer.units], trainable: true, init: { kind: 'uniform', bound } })
    } else if (layer.type === 'conv') {
      const [kh, kw] = pair(layer.kernel, 1)
      const groups = layer.groups ?? 1
      const cin = inShape[0]
      if (cin % groups || layer.filters % groups) fail(`layer ${name}: channels ${cin}→${layer.filters} do not divide into ${groups} groups`)
      const fanIn = (cin / groups) * kh * kw
      const bound = 1 / Math.sqrt(fanIn)
      add({ name: `${name}.weight`, shape: [layer.filters, cin / groups, kh, kw], trainable: true, init: { kind: 'uniform', bound } })
      if (layer.bias !== false) add({ name: `${name}.bias`, shape: [layer.filters], trainable: true, init: { kind: 'uniform', bound } })
    } else if (layer.type === 'batchnorm') {
      const c = inShape[0]
      add({ name: `${name}.scale`, shape: [c], trainable: true, init: { kind: 'constant', value: 1 } })
      add({ name: `${name}.bias`, shape: [c], trainable: true, init: { kind: 'constant', value: 0 } })
      add({ name: `${name}.runningMean`, shape: [c], trainable: false, init: { kind: 'constant', value: 0 } })
      add({ name: `${name}.runningVar`, shape: [c], trainable: false, init: { kind: 'constant', value: 1 } })
    }
  })
  return params
}

/** Per-sample shapes of every layer's input and output, checking the spec as it goes. */
export function inferShapes(spec: NetworkSpec): { inputOf: Map<string, number[]>; outputOf: Map<string, number[]> } {
  const g = new Graph('shape-probe')
  const inputOf = new Map<string, number[]>()
  const built = buildNetwork(g, spec, {
    mode: 'infer',
    batch: 1,
    param: (name, shape) => g.input(`p:${name}`, shape),
    onLayer: (name, input) => inputOf.set(name, (input.shape as number[]).slice(1))
  })
  const outputOf = new Map<string, number[]>()
  for (const [k, v] of built.values) outputOf.set(k, (v.shape as number[]).slice(1))
  return { inputOf, outputOf }
}

export interface BuildOptions {
  mode: Mode
  batch: Dim
  /** Supplies each parameter's value (a graph input or an initializer). */
  param: (name: string, shape: number[]) => Value
  /** Existing values for the network's inputs (default: new graph inputs named like the spec's inputs). */
  inputs?: Map<string, Value>
  dropoutSeed?: number
  /** Called with each layer's first input (shape discovery). */
  onLayer?: (name: string, input: Value) => void
}

/**
 * Emits the network into `g`. In training mode
 * batchnorm uses batch statistics and reports them for the running-statistics update.
 */
export function buildNetwork(g: Graph, spec: NetworkSpec, o: BuildOptions): BuiltNetwork {
  const { mode, batch, param, inputs, dropoutSeed = 1 } = o
  const values = new Map<string, Value>()
  const layersByName = new Map<string, LayerSpec>()
  if (spec.inputs.length === 0) fail('at least one input is required')
  for (const input of spec.inputs) {
    if (values.has(input.name)) fail(`input name "${input.name}" is used twice`)
    values.set(input.name, inputs?.get(input.name) ?? g.input(input.name, [batch, ...input.shape]))
  }
  const batchNorms: BatchNormState[] = []
  const paramCache = new Map<string, Value>()
  const getParam = (name: string, shape: number[]) => {
    let v = paramCache.get(name)
    if (!v) paramCache.set(name, (v = param(name, shape)))
    if (v.shape.join() !== shape.join()) fail(`parameter ${name} has shape [${v.shape}], expected [${shape}]`)
    return v
  }
  // relu then max pooling is computed as max pooling then relu (the same values, since both are
  // monotone): the relu and its gradient then touch a quarter of the elements. Only when nothing else
  // reads the relu's output.
  const readers = new Map<string, number>()
  spec.layers.forEach((l, i) => {
    const from: unknown = l.from
    const names = Array.isArray(from) ? from : [typeof from === 'string' ? from : i === 0 ? spec.inputs[0].name : layerName(spec.layers[i - 1], i - 1)]
    for (const n of names) readers.set(n, (readers.get(n) ?? 0) + 1)
  })
  for (const h of spec.heads) readers.set(h.from, (readers.get(h.from) ?? 0) + 1)
  const deferredRelu = new Set<string>()
  let convBeforeBatchNorm: (nn.ConvBeforeBatchNorm & { output: Value }) | undefined
  let pendingConv: { input: Value; weight: Value; options: nn.ConvOptions } | undefined
  const pooledAhead = new Set<string>()
  /** Whether layer `i` is read only by layer i + 1, which is of type `type` and reads it. */
  const feedsOnly = (i: number, type: LayerSpec['type']) => {
    const next = spec.layers[i + 1]
    const name = layerName(spec.layers[i], i)
    return next?.type === type && !next.shareWeightsWith && (next.from === undefined || next.from === name) && readers.get(name) === 1
  }
  /** Max pooling whose windows tile the input (kernel = stride, no padding). */
  const tiledPool = (l: LayerSpec) => {
    if (l.type !== 'maxpool') return false
    const kernel = pair(l.kernel, 1)
    const stride = pair(l.stride, 0)
    return (stride[0] === 0 || (stride[0] === kernel[0] && stride[1] === kernel[1])) && pair(l.padding, 0).every((p) => p === 0)
  }
  let previous = spec.inputs[0].name
  spec.layers.forEach((layer, i) => {
    const name = layerName(layer, i)
    if (values.has(name)) fail(`layer name "${name}" is used twice`)
    const merge = layer.type === 'concat' || layer.type === 'add'
    const from: unknown = layer.from
    if (merge && (!Array.isArray(from) || from.length < 2)) fail(`${layer.type} layer ${name} needs "from" with at least two layer names`)
    if (!merge && from !== undefined && typeof from !== 'string') fail(`layer ${name}: "from" must be one layer or input name`)
    const sources = merge ? (from as string[]) : [(from as string | undefined) ?? previous]
    const xs = sources.map((s) => values.get(s) ?? fail(`layer ${name} reads "${s}", which is not an input or an earlier layer`))
    const x = xs[0]
    o.onLayer?.(name, x)
    let owner = name
    if (layer.shareWeightsWith) {
      const other = layersByName.get(layer.shareWeightsWith)
      if (!other) fail(`layer ${name} shares weights with "${layer.shareWeightsWith}", which is not an earlier layer`)
      if (other.type !== layer.type) fail(`layer ${name} (${layer.type}) cannot share weights with ${layer.shareWeightsWith} (${other.type})`)
      owner = layer.shareWeightsWith
    }
    layersByName.set(name, layer)
    const rank = x.shape.length
    let y: Value
    switch (layer.type) {
      case 'dense': {
        if (rank !== 2) fail(`dense layer ${name} needs [batch, features] input, got [${x.shape}] (add a flatten layer)`)
        const fanIn = x.shape[1] as number
        const w = getParam(`${owner}.weight`, [layer.units, fanIn])
        const b = layer.bias !== false ? getParam(`${owner}.bias`, [layer.units]) : null
        y = op.gemm(g, x, w, b, { transB: true })
        break
      }
      case 'conv': {
        if (rank !== 4) fail(`conv layer ${name} needs [batch, channels, h, w] input, got [${x.shape}]`)
        const [kh, kw] = pair(layer.kernel, 1)
        const [sh, sw] = pair(layer.stride, 1)
        const groups = layer.groups ?? 1
        let ph: number, pw: number
        if (layer.padding === 'same') {
          if (sh !== 1 || sw !== 1 || kh % 2 === 0 || kw % 2 === 0) fail(`conv layer ${name}: 'same' padding needs stride 1 and an odd kernel`)
          ;[ph, pw] = [(kh - 1) / 2, (kw - 1) / 2]
        } else [ph, pw] = pair(layer.padding, 0)
        const cin = x.shape[1] as number
        if (cin % groups) fail(`conv layer ${name}: ${cin} input channels do not divide into ${groups} groups`)
        const w = getParam(`${owner}.weight`, [layer.filters, cin / groups, kh, kw])
        const b = layer.bias !== false ? getParam(`${owner}.bias`, [layer.filters]) : null
        const convOptions: nn.ConvOptions = { strides: [sh, sw], pads: [ph, pw, ph, pw], group: groups }
        // A bias-free, ungrouped convolution read only by a batch norm is recorded together with it (see
        // nn.batchNormTrain): a first layer's weight gradient then skips forming the batch norm's dL/dx.
        const fusable = mode === 'train' && g.recording && !b && groups === 1
        if (fusable && feedsOnly(i, 'batchnorm') && feedsOnly(i + 1, 'relu') && feedsOnly(i + 2, 'maxpool') && tiledPool(spec.layers[i + 3])) {
          // Convolution, batch norm, ReLU and max pooling: emitted by the batch norm layer (see
          // nn.convBatchNormMaxPool); this layer's name stands for its input until then.
          pendingConv = { input: x, weight: w, options: convOptions }
          y = x
        } else if (fusable && feedsOnly(i, 'batchnorm')) {
          // Its output, already centred (see nn.convBatchMean), is what this layer's name stands for here.
          convBeforeBatchNorm = nn.convForBatchNorm(g, x, w, convOptions)
          y = convBeforeBatchNorm.output
        } else y = nn.conv(g, x, w, b, convOptions)
        break
      }
      case 'batchnorm': {
        if (rank < 2) fail(`batchnorm layer ${name} needs a channel axis`)
        // x stands for the pending convolution's input (see the conv layer): its channels are the weight's.
        const c = (pendingConv?.input === x ? pendingConv.weight.shape[0] : x.shape[1]) as number
        const eps = layer.epsilon ?? 1e-5
        const scale = getParam(`${owner}.scale`, [c])
        const bias = getParam(`${owner}.bias`, [c])
        const rm = getParam(`${owner}.runningMean`, [c])
        const rv = getParam(`${owner}.runningVar`, [c])
        if (mode === 'train' && pendingConv?.input === x) {
          // The pooled output (before the ReLU): the ReLU layer passes it on, the pooling layer keeps it.
          const pool = spec.layers[i + 2] as PoolLayer
          const { input, weight, options } = pendingConv
          pendingConv = undefined
          const r = nn.convBatchNormMaxPool(g, input, weight, scale, bias, eps, options, pair(pool.kernel, 1))
          const [n, , h, wd] = nn.convOutputShape(input, weight, options)
          batchNorms.push({ layer: name, mean: r.mean, variance: r.variance, runningMean: `${owner}.runningMean`, runningVar: `${owner}.runningVar`, momentum: layer.momentum ?? 0.1, count: n * h * wd })
          pooledAhead.add(r.y.name)
          y = r.y
        } else if (mode === 'train') {
          const conv = convBeforeBatchNorm?.output === x ? convBeforeBatchNorm : undefined
          const r = nn.batchNormTrain(g, x, scale, bias, eps, conv)
          const count = nn.bnAxes(rank).reduce((n, a) => n * (x.shape[a] as number), 1)
          if (count < 2) fail(`batchnorm layer ${name} needs more than one value per channel in a batch`)
          batchNorms.push({
            layer: name,
            mean: r.mean,
            variance: r.variance,
            runningMean: `${owner}.runningMean`,
            runningVar: `${owner}.runningVar`,
            momentum: layer.momentum ?? 0.1,
            count
          })
          y = r.y
        } else y = nn.batchNormInference(g, x, scale, bias, rm, rv, eps)
        break
      }
      case 'maxpool':
      case 'avgpool': {
        if (rank !== 4) fail(`${layer.type} layer ${name} needs [batch, channels, h, w] input`)
        const kernel = pair(layer.kernel, 1)
        const strides = pair(layer.stride, 0)
        const [ph, pw] = pair(layer.padding, 0)
        const o = { kernel, strides: strides[0] ? strides : kernel, pads: [ph, pw, ph, pw] as [number, number, number, number] }
        y = pooledAhead.has(x.name) ? x : layer.type === 'maxpool' ? nn.maxPool(g, x, o) : nn.averagePool(g, x, o)
        if (deferredRelu.has(sources[0])) y = op.relu(g, y)
        break
      }
      case 'globalavgpool':
        if (rank !== 4) fail(`globalavgpool layer ${name} needs [batch, channels, h, w] input`)
        y = op.flatten(g, nn.globalAveragePool(g, x), 1)
        break
      case 'flatten':
        y = op.flatten(g, x, 1)
        break
      case 'reshape':
        y = op.reshape(g, x, [x.shape[0], ...layer.shape])
        break
      case 'relu': {
        const next = spec.layers[i + 1]
        const pooledNext = next?.type === 'maxpool' && (next.from === undefined || next.from === name) && readers.get(name) === 1
        if (pooledNext) {
          deferredRelu.add(name)
          y = x
        } else y = op.relu(g, x)
        break
      }
      case 'leakyrelu':
        y = op.leakyRelu(g, x, layer.alpha ?? 0.01)
        break
      case 'sigmoid':
        y = op.sigmoid(g, x)
        break
      case 'tanh':
        y = op.tanh(g, x)
        break
      case 'softmax':
        y = op.softmax(g, x, 1)
        break
      case 'logsoftmax':
        y = op.logSoftmax(g, x, 1)
        break
      case 'dropout':
        if (!(layer.rate >= 0 && layer.rate < 1)) fail(`dropout layer ${name}: rate must be in [0, 1)`)
        y = mode === 'train' && layer.rate > 0 ? nn.dropout(g, x, layer.rate, dropoutSeed + i) : x
        break
      case 'concat':
        if (xs.some((v) => v.shape.length !== rank)) fail(`concat layer ${name}: inputs differ in rank`)
        y = op.concat(g, xs, 1)
        break
      case 'add':
        y = xs.slice(1).reduce((acc, v) => op.add(g, acc, v), x)
        break
      default:
        fail(`layer ${name}: unknown type "${(layer as { type: string }).type}"`)
    }
    values.set(name, y)
    previous = name
  })
  return { values, batchNorms }
}
