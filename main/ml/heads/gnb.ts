/**
 * Gaussian naive Bayes: per class, the mean and variance of every feature; closed form, no iterations.
 * Generative classifiers reach their (higher) asymptotic error with far fewer labels than discriminative
 * ones (Ng & Jordan, "On Discriminative vs. Generative Classifiers"), which suits a lab's first few dozen
 * reviewed cases. A sigmoid task is one binary model per label. Exported as an ONNX graph computing the
 * same log-likelihoods.
 */
import { LabError } from '../../errors'
import { attr, encodeModel, type InitializerSpec, type NodeSpec } from '../registry/onnx-build'
import type { HeadData, HeadScores, HeadTask } from './spec'

interface ClassStats {
  mean: Float64Array
  variance: Float64Array
  count: number
}

export interface GnbModel {
  dim: number
  tasks: { task: HeadTask; classes: ClassStats[]; priors: number[] }[]
  /** Variance added to every feature's variance (absolute). */
  epsilon: number
  /** Smoothing as a fraction of the largest feature variance. */
  varSmoothing: number
}

/** Per task, the sufficient statistics (without smoothing); fitting for several smoothings reuses them. */
export interface GnbStats {
  dim: number
  maxVariance: number
  tasks: { task: HeadTask; classes: ClassStats[] }[]
}

function statsOf(data: HeadData, rows: number[]): ClassStats {
  const { dim, features } = data
  const mean = new Float64Array(dim)
  const variance = new Float64Array(dim)
  for (const r of rows) for (let k = 0; k < dim; k++) mean[k] += features[r * dim + k]
  for (let k = 0; k < dim; k++) mean[k] /= rows.length || 1
  for (const r of rows) {
    for (let k = 0; k < dim; k++) {
      const d = features[r * dim + k] - mean[k]
      variance[k] += d * d
    }
  }
  for (let k = 0; k < dim; k++) variance[k] /= rows.length || 1
  return { mean, variance, count: rows.length }
}

export function gnbStats(data: HeadData, tasks: HeadTask[]): GnbStats {
  const all = statsOf(data, Array.from({ length: data.count }, (_, i) => i))
  const maxVariance = Math.max(...all.variance, 1e-12)
  return {
    dim: data.dim,
    maxVariance,
    tasks: tasks.map((task) => {
      const target = data.targets[task.name]
      const groups: number[][] = []
      if (task.type === 'softmax') {
        task.labels.forEach(() => groups.push([]))
        for (let i = 0; i < data.count; i++) if (target[i] >= 0) groups[target[i]].push(i)
      } else {
        const k = task.labels.length
        // Label-major pairs: [label0 negative, label0 positive, label1 negative, …]
        for (let j = 0; j < k; j++) groups.push([], [])
        for (let i = 0; i < data.count; i++)
          for (let j = 0; j < k; j++) {
            const t = target[i * k + j]
            if (t === 0 || t === 1) groups[2 * j + t].push(i)
          }
      }
      groups.forEach((g, c) => {
        if (g.length === 0) {
          const label = task.type === 'softmax' ? task.labels[c] : `${c % 2 ? '' : 'no '}${task.labels[c >> 1]}`
          throw new LabError('bad_input', `The task "${task.name}" has no training example of "${label}": Gaussian naive Bayes needs every class.`)
        }
      })
      return { task, classes: groups.map((g) => statsOf(data, g)) }
    })
  }
}

export function gnbFromStats(stats: GnbStats, varSmoothing: number): GnbModel {
  const epsilon = varSmoothing * stats.maxVariance
  return {
    dim: stats.dim,
    epsilon,
    varSmoothing,
    tasks: stats.tasks.map(({ task, classes }) => {
      const priors =
        task.type === 'softmax'
          ? classes.map((c) => c.count / classes.reduce((n, x) => n + x.count, 0))
          : classes.map((c, i) => c.count / (c.count + classes[i ^ 1].count))
      return { task, priors, classes: classes.map((c) => ({ ...c, variance: c.variance.map((v) => v + epsilon) })) }
    })
  }
}

export function fitGnb(data: HeadData, tasks: HeadTask[], varSmoothing = 1e-3): GnbModel {
  return gnbFromStats(gnbStats(data, tasks), varSmoothing)
}

/** Per class: log prior − ½ Σ log(2π σ²) (the part of the log-likelihood that does not depend on x). */
function constants(m: GnbModel['tasks'][number]): number[] {
  return m.classes.map((c, i) => Math.log(m.priors[i]) - 0.5 * c.variance.reduce((s, v) => s + Math.log(2 * Math.PI * v), 0))
}

export function predictGnb(model: GnbModel, features: Float32Array, count: number): HeadScores {
  const { dim } = model
  const out: HeadScores = {}
  for (const m of model.tasks) {
    const cst = constants(m)
    const C = m.classes.length
    const jll = new Float64Array(C)
    const k = m.task.labels.length
    const scores = new Float32Array(count * (m.task.type === 'softmax' ? C : k))
    for (let i = 0; i < count; i++) {
      for (let c = 0; c < C; c++) {
        const { mean, variance } = m.classes[c]
        let s = 0
        for (let d = 0; d < dim; d++) {
          const z = features[i * dim + d] - mean[d]
          s += (z * z) / variance[d]
        }
        jll[c] = cst[c] - 0.5 * s
      }
      if (m.task.type === 'softmax') {
        const max = Math.max(...jll)
        let total = 0
        for (let c = 0; c < C; c++) total += Math.exp(jll[c] - max)
        for (let c = 0; c < C; c++) scores[i * C + c] = Math.exp(jll[c] - max) / total
      } else {
        for (let j = 0; j < k; j++) scores[i * k + j] = 1 / (1 + Math.exp(-(jll[2 * j + 1] - jll[2 * j])))
      }
    }
    out[m.task.name] = scores
  }
  return out
}

/**
 * The inference graph: features [batch, dim] → per task probabilities. Computes (x − μ)/σ per class with
 * broadcasting, so float32 keeps the precision of the centred form.
 */
export function gnbToOnnx(model: GnbModel, meta: { graphName?: string; docString?: string } = {}): Uint8Array {
  const { dim } = model
  const nodes: NodeSpec[] = [{ op: 'Unsqueeze', inputs: ['features', 'axis1'], outputs: ['features_3d'] }]
  const initializers: InitializerSpec[] = [
    { name: 'axis1', dims: [1], data: new BigInt64Array([1n]) },
    { name: 'axis2', dims: [1], data: new BigInt64Array([2n]) },
    { name: 'minus_half', dims: [], data: new Float32Array([-0.5]) }
  ]
  for (const m of model.tasks) {
    const t = m.task.name
    const C = m.classes.length
    const mu = new Float32Array(C * dim)
    const inv = new Float32Array(C * dim)
    m.classes.forEach((c, ci) => {
      for (let d = 0; d < dim; d++) {
        mu[ci * dim + d] = c.mean[d]
        inv[ci * dim + d] = 1 / Math.sqrt(c.variance[d])
      }
    })
    initializers.push({ name: `${t}.mean`, dims: [C, dim], data: mu }, { name: `${t}.inv_std`, dims: [C, dim], data: inv })
    initializers.push({ name: `${t}.const`, dims: [C], data: Float32Array.from(constants(m)) })
    nodes.push(
      { op: 'Sub', inputs: ['features_3d', `${t}.mean`], outputs: [`${t}.centred`] },
      { op: 'Mul', inputs: [`${t}.centred`, `${t}.inv_std`], outputs: [`${t}.z`] },
      { op: 'Mul', inputs: [`${t}.z`, `${t}.z`], outputs: [`${t}.z2`] },
      { op: 'ReduceSum', inputs: [`${t}.z2`, 'axis2'], outputs: [`${t}.sum`], attributes: { keepdims: attr.int(0) } },
      { op: 'Mul', inputs: [`${t}.sum`, 'minus_half'], outputs: [`${t}.half`] },
      { op: 'Add', inputs: [`${t}.half`, `${t}.const`], outputs: [`${t}.jll`] }
    )
    if (m.task.type === 'softmax') {
      nodes.push({ op: 'Softmax', inputs: [`${t}.jll`], outputs: [t], attributes: { axis: attr.int(-1) } })
    } else {
      // logit of label j = jll(positive j) − jll(negative j)
      const k = m.task.labels.length
      const diff = new Float32Array(C * k)
      for (let j = 0; j < k; j++) {
        diff[2 * j * k + j] = -1
        diff[(2 * j + 1) * k + j] = 1
      }
      initializers.push({ name: `${t}.pairs`, dims: [C, k], data: diff })
      nodes.push(
        { op: 'MatMul', inputs: [`${t}.jll`, `${t}.pairs`], outputs: [`${t}.logit`] },
        { op: 'Sigmoid', inputs: [`${t}.logit`], outputs: [t] }
      )
    }
  }
  return encodeModel({
    graphName: meta.graphName ?? 'gaussian_naive_bayes_head',
    docString: meta.docString,
    producer: { name: 'lightbox-heads', version: '1' },
    inputs: [{ name: 'features', dtype: 'float32', shape: ['batch', dim] }],
    outputs: model.tasks.map((m) => ({
      name: m.task.name,
      dtype: 'float32',
      shape: ['batch', m.task.type === 'softmax' ? m.classes.length : m.task.labels.length]
    })),
    nodes,
    initializers
  })
}
