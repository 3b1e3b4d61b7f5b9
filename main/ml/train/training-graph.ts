/**
 * The one training graph: forward pass in training mode, summed head losses, backward pass, optional
 * gradient clipping and the optimizer update, plus the batchnorm running-statistics update. Its state
 * (parameters, optimizer slots, running statistics) goes in as inputs and comes out updated; the loop
 * feeds each step's outputs back in as the next step's inputs.
 */
import { LabError } from '../../errors'
import { backward } from '../autodiff/backward'
import { Graph, type Value } from '../graph/graph'
import * as losses from '../graph/losses'
import * as op from '../graph/ops'
import { clipGlobalNorm, makeOptimizer, type Optimizer } from '../optim/optimizer'
import type { OptimizerSpec } from '../optim/spec'
import { buildNetwork, inferShapes, networkParams, type ParamInfo } from './network'
import type { HeadSpec, NetworkSpec } from './spec'

/** One tensor of state: fed as `input`, produced as `output` by the same step. */
export interface StateSlot {
  input: string
  output: string
  shape: number[]
  /** The weights entry it belongs to. */
  param: string
  /** 'param' (weights, incl. running statistics) or an optimizer slot index. */
  kind: 'param' | number
}

/** How one head's targets are fed: tensors the loop fills for every batch. */
export interface HeadFeed {
  head: HeadSpec
  /** Per-sample size of the head's output. */
  size: number
  inputs: { name: string; role: 'target' | 'a' | 'b' }[]
  lossOutput: string
}

export interface TrainingGraph {
  bytes: Uint8Array
  batchSize: number
  params: ParamInfo[]
  state: StateSlot[]
  dataInputs: { name: string; shape: number[] }[]
  heads: HeadFeed[]
  scalarInputs: string[]
  optimizer: Optimizer
  lossOutput: string
}

export function headOutputSize(spec: NetworkSpec, head: HeadSpec): number {
  const shape = inferShapes(spec).outputOf.get(head.from)
  if (!shape) throw new LabError('invalid_argument', `Head ${head.name} reads "${head.from}", which is not a layer of the network`)
  return shape.reduce((a, b) => a * b, 1)
}

export function buildTrainingGraph(spec: NetworkSpec, o: { batchSize: number; optimizer: OptimizerSpec; seed: number }): TrainingGraph {
  const g = new Graph('train')
  const B = o.batchSize
  const params = networkParams(spec)
  const paramValues = new Map<string, Value>()
  for (const p of params) paramValues.set(p.name, g.input(`p:${p.name}`, p.shape))

  const inputs = new Map<string, Value>()
  for (const i of spec.inputs) inputs.set(i.name, g.input(`in:${i.name}`, [B, ...i.shape]))
  const built = buildNetwork(g, spec, {
    mode: 'train',
    batch: B,
    param: (name) => paramValues.get(name) ?? fail(`unknown parameter ${name}`),
    inputs,
    dropoutSeed: o.seed
  })

  if (spec.heads.length === 0) fail('at least one head (output with a loss) is required')
  const heads: HeadFeed[] = []
  const headLosses: Value[] = []
  const names = new Set<string>()
  for (const head of spec.heads) {
    if (names.has(head.name)) fail(`head name "${head.name}" is used twice`)
    names.add(head.name)
    const out = built.values.get(head.from) ?? fail(`head ${head.name} reads "${head.from}", which is not a layer`)
    if (out.shape.length !== 2 && head.loss.type !== 'mean-squared-error') fail(`head ${head.name}: classification logits must be [batch, classes], got [${out.shape}]`)
    const size = (out.shape as number[]).slice(1).reduce((a, b) => a * b, 1)
    const weight = head.weight ?? 1
    let loss: Value
    const feedInputs: HeadFeed['inputs'] = []
    if (head.loss.type === 'softmax-cross-entropy') {
      if (size < 2) fail(`head ${head.name}: softmax cross-entropy needs at least two classes`)
      const t = g.input(`target:${head.name}`, out.shape)
      feedInputs.push({ name: t.name, role: 'target' })
      loss = losses.softmaxCrossEntropy(g, out, t)
    } else if (head.loss.type === 'sigmoid-binary-cross-entropy') {
      const a = g.input(`a:${head.name}`, out.shape)
      const b = g.input(`b:${head.name}`, out.shape)
      feedInputs.push({ name: a.name, role: 'a' }, { name: b.name, role: 'b' })
      loss = losses.sigmoidBinaryCrossEntropy(g, out, a, b)
    } else {
      const t = g.input(`target:${head.name}`, out.shape)
      feedInputs.push({ name: t.name, role: 'target' })
      loss = losses.squaredError(g, out, t, g.scalar(weight / (B * size)))
    }
    const named = g.output(loss, `loss:${head.name}`)
    heads.push({ head, size, inputs: feedInputs, lossOutput: named.name })
    headLosses.push(loss)
  }
  const total = op.sum(g, headLosses)
  const lossOutput = g.output(op.identity(g, total), 'loss').name

  const trainable = params.filter((p) => p.trainable)
  let grads = backward(
    g,
    [{ value: total, grad: g.scalar(1) }],
    trainable.map((p) => paramValues.get(p.name)!)
  )
  g.recording = false
  if (o.optimizer.clipGradientNorm) grads = clipGlobalNorm(g, grads, o.optimizer.clipGradientNorm)

  const optimizer = makeOptimizer(o.optimizer)
  const scalarValues: Record<string, Value> = {}
  for (const s of optimizer.scalarNames) scalarValues[s] = g.input(`hp:${s}`, [])
  const state: StateSlot[] = []
  const slotValues = trainable.map((p) =>
    Array.from({ length: optimizer.slotCount }, (_, k) => {
      const v = g.input(`s${k}:${p.name}`, p.shape)
      return v
    })
  )
  const updates = optimizer.emit(
    g,
    trainable.map((p, i) => ({ param: paramValues.get(p.name)!, grad: grads[i], slots: slotValues[i] })),
    scalarValues
  )
  trainable.forEach((p, i) => {
    state.push({ input: `p:${p.name}`, output: g.output(updates[i].param, `new:p:${p.name}`).name, shape: p.shape, param: p.name, kind: 'param' })
    updates[i].slots.forEach((v, k) =>
      state.push({ input: `s${k}:${p.name}`, output: g.output(v, `new:s${k}:${p.name}`).name, shape: p.shape, param: p.name, kind: k })
    )
  })

  // Running statistics, PyTorch's convention: r ← (1 − m)·r + m·batch (unbiased variance).
  const updatedRunning = new Set<string>()
  for (const bn of built.batchNorms) {
    if (updatedRunning.has(bn.runningMean)) fail(`batchnorm ${bn.layer} shares running statistics with another layer; share only conv/dense weights`)
    updatedRunning.add(bn.runningMean)
    const m = bn.momentum
    const rm = paramValues.get(bn.runningMean)!
    const rv = paramValues.get(bn.runningVar)!
    const newMean = op.add(g, op.mul(g, rm, g.scalar(1 - m)), op.mul(g, bn.mean, g.scalar(m)))
    const newVar = op.add(g, op.mul(g, rv, g.scalar(1 - m)), op.mul(g, bn.variance, g.scalar((m * bn.count) / (bn.count - 1))))
    for (const [name, v] of [
      [bn.runningMean, newMean],
      [bn.runningVar, newVar]
    ] as const) {
      const p = params.find((q) => q.name === name)!
      state.push({ input: `p:${name}`, output: g.output(v, `new:p:${name}`).name, shape: p.shape, param: name, kind: 'param' })
    }
  }
  // Running statistics no batchnorm updates (unused layers) pass through unchanged.
  for (const p of params) {
    if (!p.trainable && !updatedRunning.has(p.name) && !state.some((s) => s.param === p.name)) {
      state.push({ input: `p:${p.name}`, output: g.output(op.identity(g, paramValues.get(p.name)!), `new:p:${p.name}`).name, shape: p.shape, param: p.name, kind: 'param' })
    }
  }

  return {
    bytes: g.toModelBytes('Lightbox training step'),
    batchSize: B,
    params,
    state,
    dataInputs: spec.inputs.map((i) => ({ name: `in:${i.name}`, shape: [B, ...i.shape] })),
    heads,
    scalarInputs: optimizer.scalarNames.map((s) => `hp:${s}`),
    optimizer,
    lossOutput
  }
}

function fail(message: string): never {
  throw new LabError('invalid_argument', `Network spec: ${message}`)
}
