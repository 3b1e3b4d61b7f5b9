/**
 * The training graph: forward pass in training mode, summed head losses, backward pass, optional
 * gradient clipping and the optimizer update, plus the batchnorm running-statistics update. Its state
 * (parameters, optimizer slots, running statistics) goes in as inputs and comes out updated; the loop
 * feeds each run's outputs back in as the next run's inputs.
 *
 * One run may hold several consecutive optimizer steps (`stepsPerRun`, each on its own batch, the second
 * reading the first's updated state inside the graph): the state then crosses the JS boundary once per
 * run instead of once per step, which is most of a small head's step time. Per-step tensors are named
 * `<name>@<k>` (k = 0 … stepsPerRun−1).
 */
import { LabError } from '../../errors'
import { backward } from '../autodiff/backward'
import { Graph, type Value } from '../graph/graph'
import * as losses from '../graph/losses'
import * as op from '../graph/ops'
import { clipGlobalNorm, makeOptimizer, type Optimizer } from '../optim/optimizer'
import type { OptimizerSpec } from '../optim/spec'
import { buildNetwork, networkParams, type ParamInfo } from './network'
import type { HeadSpec, NetworkSpec } from './spec'

/** One tensor of state: fed as `input`, produced (after the run's last step) as `output`. */
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
  /** Input names without the `@k` suffix. */
  inputs: { name: string; role: 'target' | 'a' | 'b' }[]
  /** Output name without the `@k` suffix. */
  lossOutput: string
}

export interface TrainingGraph {
  bytes: Uint8Array
  batchSize: number
  stepsPerRun: number
  params: ParamInfo[]
  state: StateSlot[]
  /** Batch inputs (names without `@k`), shape per step. */
  dataInputs: { name: string; shape: number[] }[]
  heads: HeadFeed[]
  /** Optimizer scalars (names without `@k`). */
  scalarInputs: string[]
  optimizer: Optimizer
  /** Total loss output name without `@k`. */
  lossOutput: string
  /** The graph itself, when asked for with `keepGraph` (e.g. to evaluate it in float64 elsewhere). */
  graph?: Graph
}

export const stepName = (name: string, k: number) => `${name}@${k}`

export function buildTrainingGraph(
  spec: NetworkSpec,
  o: { batchSize: number; optimizer: OptimizerSpec; seed: number; stepsPerRun?: number; keepGraph?: boolean }
): TrainingGraph {
  const g = new Graph('train')
  const B = o.batchSize
  const K = o.stepsPerRun ?? 1
  if (!(Number.isInteger(K) && K >= 1)) fail(`stepsPerRun must be a positive integer, got ${K}`)
  if (spec.heads.length === 0) fail('at least one head (output with a loss) is required')
  const headNames = new Set<string>()
  for (const head of spec.heads) {
    if (headNames.has(head.name)) fail(`head name "${head.name}" is used twice`)
    headNames.add(head.name)
  }
  const params = networkParams(spec)
  const trainable = params.filter((p) => p.trainable)
  const optimizer = makeOptimizer(o.optimizer)

  // The state as the current step sees it: graph inputs first, then each step's updated values.
  const current = new Map<string, Value>()
  for (const p of params) current.set(p.name, g.input(`p:${p.name}`, p.shape))
  let slots = trainable.map((p) => Array.from({ length: optimizer.slotCount }, (_, k) => g.input(`s${k}:${p.name}`, p.shape)))

  const heads: HeadFeed[] = []
  for (let k = 0; k < K; k++) {
    g.recording = true
    const inputs = new Map<string, Value>()
    for (const i of spec.inputs) inputs.set(i.name, g.input(stepName(`in:${i.name}`, k), [B, ...i.shape]))
    const paramsNow = new Map(current)
    const built = buildNetwork(g, spec, {
      mode: 'train',
      batch: B,
      param: (name) => paramsNow.get(name) ?? fail(`unknown parameter ${name}`),
      inputs,
      dropoutSeed: o.seed + 7919 * k
    })

    const headLosses: Value[] = []
    for (const head of spec.heads) {
      const out = built.values.get(head.from) ?? fail(`head ${head.name} reads "${head.from}", which is not a layer`)
      if (out.shape.length !== 2 && head.loss.type !== 'mean-squared-error') fail(`head ${head.name}: classification logits must be [batch, classes], got [${out.shape}]`)
      const size = (out.shape as number[]).slice(1).reduce((a, b) => a * b, 1)
      const feed: HeadFeed['inputs'] = []
      let loss: Value
      if (head.loss.type === 'softmax-cross-entropy') {
        if (size < 2) fail(`head ${head.name}: softmax cross-entropy needs at least two classes`)
        feed.push({ name: `target:${head.name}`, role: 'target' })
        loss = losses.softmaxCrossEntropy(g, out, g.input(stepName(feed[0].name, k), out.shape))
      } else if (head.loss.type === 'sigmoid-binary-cross-entropy') {
        feed.push({ name: `a:${head.name}`, role: 'a' }, { name: `b:${head.name}`, role: 'b' })
        loss = losses.sigmoidBinaryCrossEntropy(g, out, g.input(stepName(feed[0].name, k), out.shape), g.input(stepName(feed[1].name, k), out.shape))
      } else {
        feed.push({ name: `target:${head.name}`, role: 'target' })
        loss = losses.squaredError(g, out, g.input(stepName(feed[0].name, k), out.shape), g.scalar((head.weight ?? 1) / (B * size)))
      }
      g.output(loss, stepName(`loss:${head.name}`, k))
      if (k === 0) heads.push({ head, size, inputs: feed, lossOutput: `loss:${head.name}` })
      headLosses.push(loss)
    }
    const total = op.sum(g, headLosses)
    g.output(op.identity(g, total), stepName('loss', k))

    let grads = backward(
      g,
      [{ value: total, grad: g.scalar(1) }],
      trainable.map((p) => paramsNow.get(p.name)!)
    )
    g.recording = false
    if (o.optimizer.clipGradientNorm) grads = clipGlobalNorm(g, grads, o.optimizer.clipGradientNorm)
    const scalars: Record<string, Value> = {}
    for (const s of optimizer.scalarNames) scalars[s] = g.input(stepName(`hp:${s}`, k), [])
    const updates = optimizer.emit(
      g,
      trainable.map((p, i) => ({ param: paramsNow.get(p.name)!, grad: grads[i], slots: slots[i] })),
      scalars
    )
    trainable.forEach((p, i) => current.set(p.name, updates[i].param))
    slots = updates.map((u) => u.slots)

    // Running statistics, PyTorch's convention: r ← (1 − m)·r + m·batch (unbiased variance).
    const updatedRunning = new Set<string>()
    for (const bn of built.batchNorms) {
      if (updatedRunning.has(bn.runningMean)) fail(`batchnorm ${bn.layer} shares running statistics with another layer; share only conv/dense weights`)
      updatedRunning.add(bn.runningMean)
      const m = bn.momentum
      const rm = paramsNow.get(bn.runningMean)!
      const rv = paramsNow.get(bn.runningVar)!
      current.set(bn.runningMean, op.add(g, op.mul(g, rm, g.scalar(1 - m)), op.mul(g, bn.mean, g.scalar(m))))
      current.set(bn.runningVar, op.add(g, op.mul(g, rv, g.scalar(1 - m)), op.mul(g, bn.variance, g.scalar((m * bn.count) / (bn.count - 1)))))
    }
  }

  const state: StateSlot[] = []
  trainable.forEach((p, i) => {
    state.push({ input: `p:${p.name}`, output: g.output(current.get(p.name)!, `new:p:${p.name}`).name, shape: p.shape, param: p.name, kind: 'param' })
    slots[i].forEach((v, k) => state.push({ input: `s${k}:${p.name}`, output: g.output(v, `new:s${k}:${p.name}`).name, shape: p.shape, param: p.name, kind: k }))
  })
  // Running statistics (updated, or passed through when no batchnorm uses them).
  for (const p of params) {
    if (p.trainable) continue
    state.push({ input: `p:${p.name}`, output: g.output(op.identity(g, current.get(p.name)!), `new:p:${p.name}`).name, shape: p.shape, param: p.name, kind: 'param' })
  }

  return {
    bytes: g.toModelBytes('Lightbox training step'),
    batchSize: B,
    stepsPerRun: K,
    params,
    state,
    dataInputs: spec.inputs.map((i) => ({ name: `in:${i.name}`, shape: [B, ...i.shape] })),
    heads,
    scalarInputs: optimizer.scalarNames.map((s) => `hp:${s}`),
    optimizer,
    lossOutput: 'loss',
    ...(o.keepGraph ? { graph: g } : {})
  }
}

function fail(message: string): never {
  throw new LabError('invalid_argument', `Network spec: ${message}`)
}
