/**
 * Shipping a trained X-ray head as one ONNX graph:
 *
 * - `ensembleNetwork`: K heads of the same architecture (one per cross-validation fold) become one
 *   network whose logits are the members' mean, with each output's calibration (a·z + b) folded into the
 *   members' last dense layers, so the result is still a plain NetworkSpec + Weights: data that the
 *   training engine can export, evaluate or fine-tune.
 * - `headOnnxWithGradients`: the inference graph (probabilities per head) plus, for Grad-CAM, the
 *   gradient of every output's logit with respect to the input features, `<head>.gradient`
 *   [batch, outputs, features], written by the training engine's reverse-mode differentiator
 *   (main/ml/autodiff) into the same graph.
 */
import { createHash } from 'node:crypto'
import { LabError } from '../../errors'
import { backward } from '../../ml/autodiff/backward'
import { exportModel, type ExportInfo, type ExportedModel } from '../../ml/export'
import { Graph, type Value } from '../../ml/graph/graph'
import * as op from '../../ml/graph/ops'
import { manifestSchema, type OutputSpec } from '../../ml/registry/manifest'
import { createSession, loadOrt } from '../../ml/runtime/ort'
import { networkParams, type LayerSpec, type NetworkSpec, type Weights } from '../../ml/train'
import { activationOf } from '../../ml/train/inference-graph'
import { buildNetwork, layerName } from '../../ml/train/network'

export interface HeadMember {
  spec: NetworkSpec
  weights: Weights
}

/** Per head, per output: logit ↦ a·logit + b (identity when absent). */
export type OutputCalibration = Record<string, { a: number[]; b: number[] }>

/** The members' mean logits, calibrated, as one network (see the file comment). */
export function ensembleNetwork(members: HeadMember[], calibration: OutputCalibration = {}): HeadMember {
  if (members.length === 0) throw new LabError('invalid_argument', 'An ensemble needs at least one member.')
  const base = members[0].spec
  const k = members.length
  const finalLayers = new Map(base.heads.map((h) => [h.from, h.name]))
  const layers: LayerSpec[] = []
  const weights: Weights = {}
  members.forEach((m, index) => {
    if (JSON.stringify(m.spec) !== JSON.stringify(base)) throw new LabError('invalid_argument', 'Ensemble members must share one architecture.')
    const suffix = k === 1 ? '' : `__m${index}`
    const rename = (name: string) => (base.inputs.some((i) => i.name === name) ? name : `${name}${suffix}`)
    m.spec.layers.forEach((layer, i) => {
      const name = layerName(layer, i)
      const copy = { ...layer, name: rename(name) } as LayerSpec
      const from: unknown = layer.from ?? (i === 0 ? base.inputs[0].name : layerName(m.spec.layers[i - 1], i - 1))
      ;(copy as { from?: string | string[] }).from = Array.isArray(from) ? from.map(rename) : rename(from as string)
      if (layer.shareWeightsWith) copy.shareWeightsWith = rename(layer.shareWeightsWith)
      layers.push(copy)
    })
    for (const [key, tensor] of Object.entries(m.weights)) {
      const dot = key.lastIndexOf('.')
      const layer = key.slice(0, dot)
      const head = finalLayers.get(layer)
      let data = tensor.data
      if (head !== undefined) {
        const last = m.spec.layers.find((l, i) => layerName(l, i) === layer)
        if (last?.type !== 'dense') throw new LabError('invalid_argument', `Head ${head} must end in a dense layer to be ensembled.`)
        const units = last.units
        const cal = calibration[head]
        const param = key.slice(dot + 1)
        data = Float32Array.from(tensor.data, (v, j) => {
          const row = param === 'weight' ? Math.floor(j / (tensor.data.length / units)) : j
          const a = cal?.a[row] ?? 1
          const b = cal?.b[row] ?? 0
          return param === 'bias' ? (a * v + b) / k : (a * v) / k
        })
      }
      weights[`${rename(layer)}.${key.slice(dot + 1)}`] = { shape: tensor.shape, data }
    }
  })
  // Linear members (dense layers straight from the input): the mean of their logits is one linear layer.
  const linear = base.layers.every((l) => l.type === 'dense' && (l.from ?? base.inputs[0].name) === base.inputs[0].name)
  if (linear && k > 1) {
    const averaged: Weights = {}
    for (const key of Object.keys(members[0].weights)) {
      const sum = new Float32Array(members[0].weights[key].data.length)
      members.forEach((_, index) => weights[`${key.slice(0, key.lastIndexOf('.'))}__m${index}${key.slice(key.lastIndexOf('.'))}`].data.forEach((v, j) => (sum[j] += v)))
      averaged[key] = { shape: members[0].weights[key].shape, data: sum }
    }
    return { spec: base, weights: averaged }
  }
  const heads = base.heads.map((h) => {
    if (k === 1) return h
    const merged = `${h.from}__mean`
    layers.push({ type: 'add', name: merged, from: members.map((_, i) => `${h.from}__m${i}`) })
    return { ...h, from: merged }
  })
  return { spec: { inputs: base.inputs, layers, heads }, weights }
}

/** The inference graph with `<head>.gradient` outputs (d logit / d features) for every head. */
export function headGraphWithGradients(member: HeadMember, reference?: Float32Array): Graph {
  const { spec, weights } = member
  if (spec.inputs.length !== 1) throw new LabError('invalid_argument', 'A head with gradients takes one feature input.')
  const g = new Graph('xray_head')
  const params = new Map<string, Value>()
  for (const p of networkParams(spec)) {
    const w = weights[p.name]
    if (!w) throw new LabError('invalid_argument', `The weights have no "${p.name}".`)
    params.set(p.name, g.initializer(p.name, w.data, p.shape))
  }
  const built = buildNetwork(g, spec, { mode: 'infer', batch: 'batch', param: (name) => params.get(name)! })
  const features = built.values.get(spec.inputs[0].name)!
  const outputs: { value: Value; name: string }[] = []
  for (const head of spec.heads) {
    const logits = built.values.get(head.from)!
    const activation = activationOf(head)
    g.recording = false
    const scores = activation === 'softmax' ? op.softmax(g, logits, -1) : activation === 'sigmoid' ? op.sigmoid(g, logits) : logits
    const units = logits.shape[1] as number
    // One backward pass per output: seed d(logit_j) = 1 for every sample, 0 for the other outputs.
    const zeros = op.mul(g, logits, g.scalar(0))
    const grads = Array.from({ length: units }, (_, j) => {
      const onehot = g.constant(Array.from({ length: units }, (_, c) => (c === j ? 1 : 0)), [1, units])
      const [grad] = backward(g, [{ value: logits, grad: op.add(g, zeros, onehot) }], [features])
      return op.unsqueeze(g, grad, [1])
    })
    const stacked = grads.length === 1 ? grads[0] : op.concat(g, grads, 1)
    g.recording = true
    outputs.push({ value: scores, name: head.name }, { value: stacked, name: `${head.name}.gradient` })
  }
  if (reference) outputs.push({ value: g.initializer('features.mean.value', reference, [1, reference.length]), name: 'features.mean' })
  for (const o of outputs) g.output(o.value, o.name)
  return g
}

/**
 * Exports the head (manifest from the training engine's exporter) with the gradient outputs added to
 * its graph, and `reference` (the training images' mean features, the baseline heatmaps are measured
 * from) as the constant output `features.mean`; runs the result once in onnxruntime before returning it.
 */
export async function exportHeadWithGradients(member: HeadMember, info: ExportInfo, reference?: Float32Array): Promise<ExportedModel> {
  const plain = await exportModel(member.spec, member.weights, info)
  const onnx = headGraphWithGradients(member, reference).toModelBytes(`${info.name}@${info.version}`)
  const dim = member.spec.inputs[0].shape[0]
  const gradients: OutputSpec[] = member.spec.heads.map((h) => ({
    name: `${h.name}.gradient`,
    shape: ['batch', h.labels?.length ?? 1, dim],
    dtype: 'float32',
    // [batch, outputs, features]: rows in the order of the head's labels (the manifest's labels describe a last dimension).
    kind: 'map',
    activation: 'none'
  }))
  if (reference) gradients.push({ name: 'features.mean', shape: [1, reference.length], dtype: 'float32', kind: 'features' })
  const manifest = manifestSchema.parse({ ...plain.manifest, outputs: [...plain.manifest.outputs, ...gradients], sha256: createHash('sha256').update(onnx).digest('hex') })
  const ort = await loadOrt()
  const session = await createSession(onnx, { threads: 1 })
  try {
    const out = await session.run({ features: new ort.Tensor('float32', new Float32Array(2 * dim), [2, dim]) })
    for (const o of manifest.outputs) if (!out[o.name]) throw new LabError('internal', `The exported head lacks its output ${o.name}.`)
  } finally {
    await session.release()
  }
  return { onnx, manifest }
}
