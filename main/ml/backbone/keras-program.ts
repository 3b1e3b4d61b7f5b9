/**
 * Turns a Keras functional model (as TF.js stores it) into a small inference program in NCHW layout,
 * with the inference-time simplifications every serious converter makes:
 *   - BatchNormalization folded into the preceding convolution's weights and bias;
 *   - ReLU/ReLU6 fused into the convolution that feeds it;
 *   - ZeroPadding2D folded into the next 'valid' convolution's pads;
 *   - an average pool over the whole map becomes a global average pool.
 * The program is the single description of the network: it is written out as ONNX (onnx-program.ts) and,
 * for the benchmark, handed to the PyTorch peer, so both run the same architecture with the same weights.
 * Only layers needed for the requested outputs are converted.
 */
import { LabError } from '../../errors'
import type { KerasLayer, Weight } from './tfjs-weights'

export type Activation = 'none' | 'relu' | 'relu6'

export interface ConvOp {
  op: 'conv'
  /** Keras layer the op came from (its last fused layer). */
  name: string
  input: string
  output: string
  /** [outChannels, inChannels / group, kh, kw] */
  weightShape: [number, number, number, number]
  weight: Float32Array
  bias: Float32Array
  stride: [number, number]
  /** [top, left, bottom, right] */
  pads: [number, number, number, number]
  group: number
  activation: Activation
}

export interface AddOp {
  op: 'add'
  name: string
  inputs: [string, string]
  output: string
}

/** Mean over the spatial dimensions: [N, C, H, W] → [N, C]. */
export interface GlobalPoolOp {
  op: 'globalavgpool'
  name: string
  input: string
  output: string
}

export type ProgramOp = ConvOp | AddOp | GlobalPoolOp

export interface TensorShape {
  channels: number
  height: number
  width: number
  /** false for pooled [N, C] vectors. */
  spatial: boolean
}

export interface Program {
  input: { name: string } & TensorShape
  ops: ProgramOp[]
  /** Named outputs and the program tensor each reads. */
  outputs: { name: string; tensor: string; shape: TensorShape }[]
}

export interface OutputRequest {
  /** Output name in the converted model. */
  name: string
  /** The Keras layer whose output it is. */
  layer: string
  /** Average over the spatial dimensions (a feature vector from a feature map). */
  pool?: boolean
}

interface Value {
  tensor: string
  shape: TensorShape
  /** Zero padding not yet applied: [top, left, bottom, right]. */
  pendingPad?: [number, number, number, number]
}

function unsupported(layer: KerasLayer, why: string): LabError {
  return new LabError('unsupported', `Cannot convert layer ${layer.name} (${layer.class_name}): ${why}.`)
}

function inboundNames(layer: KerasLayer): string[] {
  if (layer.inbound_nodes.length > 1) throw unsupported(layer, 'shared layers are not supported')
  return (layer.inbound_nodes[0] ?? []).map((n) => n[0])
}

function pair(v: unknown, layer: KerasLayer, what: string): [number, number] {
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [v[0], v[1]]
  throw unsupported(layer, `unexpected ${what} ${JSON.stringify(v)}`)
}

/** TensorFlow's 'same' padding: the extra pixel, when odd, goes at the end. */
function samePads(size: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride)
  const total = Math.max((out - 1) * stride + kernel - size, 0)
  return [Math.floor(total / 2), total - Math.floor(total / 2)]
}

export function buildProgram(
  layers: KerasLayer[],
  weights: Map<string, Weight>,
  requests: OutputRequest[],
  inputName = 'image'
): Program {
  const byName = new Map(layers.map((l) => [l.name, l]))
  const consumers = new Map<string, string[]>()
  for (const l of layers) for (const from of l.inbound_nodes.length ? inboundNames(l) : []) consumers.set(from, [...(consumers.get(from) ?? []), l.name])

  // Only the layers the requested outputs depend on.
  const needed = new Set<string>()
  const visit = (name: string): void => {
    if (needed.has(name)) return
    const layer = byName.get(name)
    if (!layer) throw new LabError('invalid_argument', `The model has no layer named ${name}.`)
    needed.add(name)
    for (const from of layer.inbound_nodes.length ? inboundNames(layer) : []) visit(from)
  }
  for (const r of requests) visit(r.layer)
  const requested = new Set(requests.map((r) => r.layer))

  const weight = (layer: KerasLayer, suffix: string): Weight => {
    const w = weights.get(`${layer.name}/${suffix}`)
    if (!w) throw unsupported(layer, `its weight ${suffix} is missing`)
    return w
  }

  const values = new Map<string, Value>()
  const ops: ProgramOp[] = []
  /** The conv op producing a tensor, while BN/ReLU may still fold into it. */
  const openConv = new Map<string, ConvOp>()
  let input: Program['input'] | null = null

  const only = (layer: KerasLayer): Value => {
    const names = inboundNames(layer)
    if (names.length !== 1) throw unsupported(layer, `expected one input, got ${names.length}`)
    const v = values.get(names[0])
    if (!v) throw unsupported(layer, `its input ${names[0]} was not converted`)
    return v
  }
  /** The open conv that `layer` may fold into: its sole consumer must be `layer`. */
  const foldTarget = (layer: KerasLayer, from: Value): ConvOp => {
    const conv = openConv.get(from.tensor)
    const producer = inboundNames(layer)[0]
    if (!conv || (consumers.get(producer) ?? []).length !== 1 || requested.has(producer)) {
      throw unsupported(layer, 'it can only follow a convolution that feeds nothing else')
    }
    return conv
  }

  for (const layer of layers) {
    if (!needed.has(layer.name)) continue
    const c = layer.config
    switch (layer.class_name) {
      case 'InputLayer': {
        const shape = c['batch_input_shape'] as (number | null)[]
        if (!Array.isArray(shape) || shape.length !== 4) throw unsupported(layer, 'only image inputs [batch, h, w, c] are supported')
        input = { name: inputName, height: shape[1]!, width: shape[2]!, channels: shape[3]!, spatial: true }
        values.set(layer.name, { tensor: inputName, shape: { ...input } })
        break
      }
      case 'ZeroPadding2D': {
        const from = only(layer)
        const p = c['padding'] as [[number, number], [number, number]]
        const prev = from.pendingPad ?? [0, 0, 0, 0]
        values.set(layer.name, {
          tensor: from.tensor,
          shape: { ...from.shape, height: from.shape.height + p[0][0] + p[0][1], width: from.shape.width + p[1][0] + p[1][1] },
          pendingPad: [prev[0] + p[0][0], prev[1] + p[1][0], prev[2] + p[0][1], prev[3] + p[1][1]]
        })
        break
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const from = only(layer)
        const depthwise = layer.class_name === 'DepthwiseConv2D'
        const [kh, kw] = pair(c['kernel_size'], layer, 'kernel size')
        const [sh, sw] = pair(c['strides'], layer, 'strides')
        const dilation = pair(c['dilation_rate'] ?? [1, 1], layer, 'dilation')
        if (dilation[0] !== 1 || dilation[1] !== 1) throw unsupported(layer, 'dilated convolutions are not supported')
        if (c['data_format'] !== 'channels_last') throw unsupported(layer, 'only channels_last is supported')
        const kernel = weight(layer, depthwise ? 'depthwise_kernel' : 'kernel')
        const cin = from.shape.channels
        const mult = depthwise ? kernel.shape[3] : 1
        const cout = depthwise ? cin * mult : kernel.shape[3]
        const perGroupIn = depthwise ? 1 : cin
        // Keras [kh, kw, cin, cout] (depthwise: [kh, kw, cin, mult]) → ONNX [cout, cin/group, kh, kw]
        const w = new Float32Array(cout * perGroupIn * kh * kw)
        for (let y = 0; y < kh; y++)
          for (let x = 0; x < kw; x++)
            for (let i = 0; i < cin; i++)
              for (let o = 0; o < (depthwise ? mult : cout); o++) {
                const src = ((y * kw + x) * cin + i) * (depthwise ? mult : cout) + o
                const oc = depthwise ? i * mult + o : o
                const ic = depthwise ? 0 : i
                w[((oc * perGroupIn + ic) * kh + y) * kw + x] = kernel.values[src]
              }
        const bias = c['use_bias'] ? Float32Array.from(weight(layer, 'bias').values) : new Float32Array(cout)
        let pads: [number, number, number, number]
        const pending = from.pendingPad ?? [0, 0, 0, 0]
        const h0 = from.shape.height - pending[0] - pending[2]
        const w0 = from.shape.width - pending[1] - pending[3]
        if (c['padding'] === 'same') {
          if (from.pendingPad) throw unsupported(layer, "zero padding before a 'same' convolution")
          const [t, b] = samePads(h0, kh, sh)
          const [l, r] = samePads(w0, kw, sw)
          pads = [t, l, b, r]
        } else if (c['padding'] === 'valid') {
          pads = pending
        } else throw unsupported(layer, `padding ${String(c['padding'])}`)
        const outH = Math.floor((h0 + pads[0] + pads[2] - kh) / sh) + 1
        const outW = Math.floor((w0 + pads[1] + pads[3] - kw) / sw) + 1
        const activation = c['activation'] === 'linear' ? 'none' : c['activation'] === 'relu' ? 'relu' : null
        if (!activation) throw unsupported(layer, `activation ${String(c['activation'])}`)
        const op: ConvOp = {
          op: 'conv',
          name: layer.name,
          input: from.tensor,
          output: layer.name,
          weightShape: [cout, perGroupIn, kh, kw],
          weight: w,
          bias,
          stride: [sh, sw],
          pads,
          group: depthwise ? cin : 1,
          activation
        }
        ops.push(op)
        openConv.set(op.output, op)
        values.set(layer.name, { tensor: op.output, shape: { channels: cout, height: outH, width: outW, spatial: true } })
        break
      }
      case 'BatchNormalization': {
        const from = only(layer)
        const conv = foldTarget(layer, from)
        if (conv.activation !== 'none') throw unsupported(layer, 'batch normalisation after an activation')
        if (c['axis'] !== -1 && c['axis'] !== 3) throw unsupported(layer, `axis ${String(c['axis'])}`)
        const eps = c['epsilon'] as number
        const n = conv.weightShape[0]
        const gamma = c['scale'] === false ? new Float32Array(n).fill(1) : weight(layer, 'gamma').values
        const beta = c['center'] === false ? new Float32Array(n) : weight(layer, 'beta').values
        const mean = weight(layer, 'moving_mean').values
        const variance = weight(layer, 'moving_variance').values
        const per = conv.weight.length / n
        for (let o = 0; o < n; o++) {
          const scale = gamma[o] / Math.sqrt(variance[o] + eps)
          for (let k = 0; k < per; k++) conv.weight[o * per + k] = conv.weight[o * per + k] * scale
          conv.bias[o] = (conv.bias[o] - mean[o]) * scale + beta[o]
        }
        conv.name = layer.name
        values.set(layer.name, from)
        break
      }
      case 'ReLU':
      case 'Activation': {
        const from = only(layer)
        const conv = foldTarget(layer, from)
        let activation: Activation
        if (layer.class_name === 'Activation') {
          if (c['activation'] !== 'relu') throw unsupported(layer, `activation ${String(c['activation'])}`)
          activation = 'relu'
        } else {
          if ((c['negative_slope'] ?? 0) !== 0 || (c['threshold'] ?? 0) !== 0) throw unsupported(layer, 'leaky or thresholded ReLU')
          if (c['max_value'] != null && c['max_value'] !== 6) throw unsupported(layer, `max_value ${String(c['max_value'])}`)
          activation = c['max_value'] == null ? 'relu' : 'relu6'
        }
        if (conv.activation !== 'none') throw unsupported(layer, 'two activations in a row')
        conv.activation = activation
        conv.name = layer.name
        openConv.delete(from.tensor)
        values.set(layer.name, from)
        break
      }
      case 'Add': {
        const names = inboundNames(layer)
        if (names.length !== 2) throw unsupported(layer, 'only two-input additions are supported')
        const [a, b] = names.map((n) => values.get(n)!)
        if (a.pendingPad || b.pendingPad) throw unsupported(layer, 'padding before an addition')
        const op: AddOp = { op: 'add', name: layer.name, inputs: [a.tensor, b.tensor], output: layer.name }
        ops.push(op)
        values.set(layer.name, { tensor: op.output, shape: a.shape })
        break
      }
      case 'AveragePooling2D':
      case 'GlobalAveragePooling2D': {
        const from = only(layer)
        if (layer.class_name === 'AveragePooling2D') {
          const [ph, pw] = pair(c['pool_size'], layer, 'pool size')
          if (ph !== from.shape.height || pw !== from.shape.width || c['padding'] !== 'valid') {
            throw unsupported(layer, 'only average pooling over the whole map is supported')
          }
        }
        const op: GlobalPoolOp = { op: 'globalavgpool', name: layer.name, input: from.tensor, output: layer.name }
        ops.push(op)
        values.set(layer.name, { tensor: op.output, shape: { channels: from.shape.channels, height: 1, width: 1, spatial: false } })
        break
      }
      case 'Flatten': {
        const from = only(layer)
        if (from.shape.spatial) throw unsupported(layer, 'flattening a feature map is not supported; pool it first')
        values.set(layer.name, from)
        break
      }
      default:
        throw unsupported(layer, 'this layer type is not supported')
    }
    // A convolution read by anything other than its own batch norm or activation can absorb nothing more.
    for (const from of layer.inbound_nodes.length ? inboundNames(layer) : []) {
      const v = values.get(from)
      if (v && layer.class_name !== 'BatchNormalization' && layer.class_name !== 'ReLU' && layer.class_name !== 'Activation') openConv.delete(v.tensor)
    }
  }
  if (!input) throw new LabError('unsupported', 'The model has no input layer.')

  const outputs = requests.map((r) => {
    const v = values.get(r.layer)!
    if (v.pendingPad) throw new LabError('unsupported', `Output ${r.name} reads a padded tensor.`)
    if (!r.pool) return { name: r.name, tensor: v.tensor, shape: v.shape }
    if (!v.shape.spatial) throw new LabError('invalid_argument', `Output ${r.name}: layer ${r.layer} is already a vector.`)
    const op: GlobalPoolOp = { op: 'globalavgpool', name: `${r.layer}_pool`, input: v.tensor, output: `${r.name}_pooled` }
    ops.push(op)
    return { name: r.name, tensor: op.output, shape: { channels: v.shape.channels, height: 1, width: 1, spatial: false } }
  })
  return { input, ops, outputs }
}
