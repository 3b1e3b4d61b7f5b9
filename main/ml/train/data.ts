/**
 * Training data handling: checking what the caller passed, the seeded validation split, class counts and
 * balancing weights, and filling one batch's input and target tensors in place.
 */
import { LabError } from '../../errors'
import type { Random } from './random'
import type { HeadSpec, NetworkSpec } from './spec'
import type { TrainData } from './types'

export type Labels = Int32Array | Float32Array | number[]

function bad(message: string): never {
  throw new LabError('invalid_argument', message)
}

/** Checks sizes and label values against the network; returns per-sample input sizes. */
export function checkData(spec: NetworkSpec, data: TrainData, what: string, headSizes: Map<string, number>, needTargets: boolean): Map<string, number> {
  if (!Number.isInteger(data.count) || data.count < 0) bad(`${what}: count must be a non-negative integer`)
  const sizes = new Map<string, number>()
  for (const input of spec.inputs) {
    const size = input.shape.reduce((a, b) => a * b, 1)
    sizes.set(input.name, size)
    const src = data.inputs[input.name]
    if (src === undefined) bad(`${what}: no data for input "${input.name}"`)
    if (src instanceof Float32Array && src.length !== data.count * size) {
      bad(`${what}: input "${input.name}" has ${src.length} values; ${data.count} samples of [${input.shape}] need ${data.count * size}`)
    }
    if (!(src instanceof Float32Array) && typeof src !== 'function') bad(`${what}: input "${input.name}" must be a Float32Array or a reader function`)
  }
  if (!needTargets) return sizes
  for (const head of spec.heads) {
    const t = data.targets?.[head.name]
    if (t === undefined) bad(`${what}: no targets for head "${head.name}"`)
    const k = headSizes.get(head.name)!
    if (head.loss.type === 'softmax-cross-entropy') {
      if (t.length !== data.count) bad(`${what}: head "${head.name}" needs one class index per sample (${data.count}), got ${t.length}`)
      for (let i = 0; i < t.length; i++) {
        const y = t[i]
        if (!Number.isInteger(y) || y < -1 || y >= k) bad(`${what}: head "${head.name}" sample ${i} has class ${y}; classes are 0..${k - 1} (or -1 for none)`)
      }
    } else {
      if (!(t instanceof Float32Array)) bad(`${what}: head "${head.name}" targets must be a Float32Array`)
      if (t.length !== data.count * k) bad(`${what}: head "${head.name}" needs ${k} targets per sample (${data.count * k}), got ${t.length}`)
    }
  }
  return sizes
}

/** The first softmax head: used for stratified splits and balanced sampling. */
export function stratifyingHead(spec: NetworkSpec): HeadSpec | undefined {
  return spec.heads.find((h) => h.loss.type === 'softmax-cross-entropy')
}

/** Indices of the training and validation parts, stratified by `labels` when given. */
export function splitIndices(count: number, fraction: number, random: Random, labels?: Labels): { train: Int32Array; val: Int32Array } {
  if (!(fraction > 0 && fraction < 1)) bad(`validation fraction must be between 0 and 1, got ${fraction}`)
  const groups = new Map<number, number[]>()
  for (let i = 0; i < count; i++) {
    const key = labels ? labels[i] : 0
    const list = groups.get(key)
    if (list) list.push(i)
    else groups.set(key, [i])
  }
  const train: number[] = []
  const val: number[] = []
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const list = Int32Array.from(groups.get(key)!)
    random.shuffle(list)
    const nVal = Math.round(list.length * fraction)
    list.forEach((v, i) => (i < nVal ? val : train).push(v))
  }
  return { train: Int32Array.from(train).sort(), val: Int32Array.from(val).sort() }
}

/** Per head: per label, how many training samples are positive (class counts for softmax heads). */
export function countLabels(spec: NetworkSpec, data: TrainData, indices: Int32Array, headSizes: Map<string, number>): Record<string, number[]> {
  const out: Record<string, number[]> = {}
  for (const head of spec.heads) {
    if (head.loss.type === 'mean-squared-error') continue
    const k = headSizes.get(head.name)!
    const counts = new Array<number>(k).fill(0)
    const t = data.targets![head.name]
    for (const i of indices) {
      if (head.loss.type === 'softmax-cross-entropy') {
        if (t[i] >= 0) counts[t[i]]++
      } else for (let j = 0; j < k; j++) if (t[i * k + j] > 0.5) counts[j]++
    }
    out[head.name] = counts
  }
  return out
}

/** Resolved per-head loss settings: class weights (softmax) or positive weights (BCE). */
export interface HeadWeights {
  classWeights?: Float32Array
  positiveWeights?: Float32Array
}

export function headWeights(spec: NetworkSpec, balance: 'none' | 'weights' | 'sampling', counts: Record<string, number[]>, trainCount: number, headSizes: Map<string, number>) {
  const out = new Map<string, HeadWeights>()
  for (const head of spec.heads) {
    const k = headSizes.get(head.name)!
    const c = counts[head.name]
    if (head.loss.type === 'softmax-cross-entropy') {
      if (head.loss.classWeights) {
        if (head.loss.classWeights.length !== k) bad(`head "${head.name}": ${head.loss.classWeights.length} class weights for ${k} classes`)
        out.set(head.name, { classWeights: Float32Array.from(head.loss.classWeights) })
      } else if (balance === 'weights') {
        const labelled = c.reduce((a, b) => a + b, 0)
        const present = c.filter((x) => x > 0).length
        out.set(head.name, { classWeights: Float32Array.from(c, (x) => (x > 0 ? labelled / (present * x) : 0)) })
      } else out.set(head.name, {})
    } else if (head.loss.type === 'sigmoid-binary-cross-entropy') {
      if (head.loss.positiveWeights) {
        if (head.loss.positiveWeights.length !== k) bad(`head "${head.name}": ${head.loss.positiveWeights.length} positive weights for ${k} outputs`)
        out.set(head.name, { positiveWeights: Float32Array.from(head.loss.positiveWeights) })
      } else if (balance === 'weights') {
        out.set(head.name, { positiveWeights: Float32Array.from(c, (pos) => (pos > 0 ? Math.max(1, trainCount - pos) / pos : 1)) })
      } else out.set(head.name, {})
    } else out.set(head.name, {})
  }
  return out
}

/** One epoch's sample order: a shuffle, or (balanced sampling) draws with inverse-frequency probability. */
export function epochOrder(indices: Int32Array, random: Random, sampling?: { labels: Labels; counts: number[] }): Int32Array {
  if (!sampling) return random.shuffle(Int32Array.from(indices))
  const weights = Float64Array.from(indices, (i) => {
    const y = sampling.labels[i]
    return y >= 0 && sampling.counts[y] > 0 ? 1 / sampling.counts[y] : 0
  })
  const cumulative = new Float64Array(weights.length)
  let total = 0
  weights.forEach((w, i) => (cumulative[i] = total += w))
  if (total === 0) return random.shuffle(Int32Array.from(indices))
  const out = new Int32Array(indices.length)
  for (let k = 0; k < out.length; k++) {
    const r = random.next() * total
    let lo = 0
    let hi = cumulative.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cumulative[mid] <= r) lo = mid + 1
      else hi = mid
    }
    out[k] = indices[lo]
  }
  return out
}

/** Copies (or reads) the samples `batch` of one input into `out` ([batch.length, size]). */
export function fillInput(
  src: TrainData['inputs'][string],
  size: number,
  batch: ArrayLike<number>,
  out: Float32Array,
  info: { training: boolean; epoch: number; random: () => number }
): void {
  for (let n = 0; n < batch.length; n++) {
    const i = batch[n]
    const dest = out.subarray(n * size, (n + 1) * size)
    if (src instanceof Float32Array) dest.set(src.subarray(i * size, (i + 1) * size))
    else src(i, dest, info)
  }
}

/**
 * Fills a head's loss tensors for a batch (see graph/losses.ts): softmax → weighted, smoothed target
 * rows divided by the batch's total weight; BCE → a and b; MSE → the targets.
 */
export function fillTargets(
  head: HeadSpec,
  k: number,
  targets: Labels,
  batch: ArrayLike<number>,
  weights: HeadWeights,
  out: Record<'target' | 'a' | 'b', Float32Array | undefined>
): void {
  const headWeight = head.weight ?? 1
  if (head.loss.type === 'softmax-cross-entropy') {
    const t = out.target!
    t.fill(0)
    const eps = head.loss.labelSmoothing ?? 0
    const cw = weights.classWeights
    let total = 0
    for (let n = 0; n < batch.length; n++) {
      const y = targets[batch[n]]
      if (y < 0) continue
      const wy = cw ? cw[y] : 1
      total += wy
      const row = n * k
      if (eps > 0) for (let c = 0; c < k; c++) t[row + c] = (eps / k) * (cw ? cw[c] : 1)
      t[row + y] += wy * (1 - eps)
    }
    if (total > 0) {
      const scale = headWeight / total
      for (let i = 0; i < t.length; i++) t[i] *= scale
    }
  } else if (head.loss.type === 'sigmoid-binary-cross-entropy') {
    const a = out.a!
    const b = out.b!
    const pw = weights.positiveWeights
    let count = 0
    for (let n = 0; n < batch.length; n++) for (let j = 0; j < k; j++) if (!Number.isNaN(targets[batch[n] * k + j])) count++
    const m = count ? headWeight / count : 0
    for (let n = 0; n < batch.length; n++) {
      for (let j = 0; j < k; j++) {
        const y = targets[batch[n] * k + j]
        const o = n * k + j
        if (Number.isNaN(y)) {
          a[o] = 0
          b[o] = 0
        } else {
          a[o] = m * (1 - y)
          b[o] = m * (1 + ((pw ? pw[j] : 1) - 1) * y)
        }
      }
    }
  } else {
    const t = out.target!
    for (let n = 0; n < batch.length; n++) for (let j = 0; j < k; j++) t[n * k + j] = targets[batch[n] * k + j]
  }
}
