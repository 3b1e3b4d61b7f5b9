/** Running a network in inference mode over data: scores per head, and metrics against targets. */
import type { InferenceSession, Tensor } from 'onnxruntime-node'
import { createSession, loadOrt } from '../runtime/ort'
import { checkData, fillInput, type Labels } from './data'
import { buildInferenceGraph } from './inference-graph'
import { classificationMetrics, meanSquaredError, multiLabelMetrics } from './metrics'
import { inferShapes } from './network'
import type { NetworkSpec } from './spec'
import type { TrainData, Weights } from './types'

const EVAL_BATCH = 256

/** Scores of every head for the samples `indices`, row-major [indices.length, headSize]. */
export async function scoresWithSession(
  session: InferenceSession,
  spec: NetworkSpec,
  extraFeeds: Record<string, Tensor>,
  data: Pick<TrainData, 'count' | 'inputs'>,
  indices: ArrayLike<number>,
  headSizes: Map<string, number>,
  inputSizes: Map<string, number>,
  info: { epoch: number }
): Promise<Record<string, Float32Array>> {
  const ort = await loadOrt()
  const out: Record<string, Float32Array> = {}
  for (const h of spec.heads) out[h.name] = new Float32Array(indices.length * headSizes.get(h.name)!)
  const batchIdx = new Int32Array(Math.min(EVAL_BATCH, indices.length))
  for (let start = 0; start < indices.length; start += EVAL_BATCH) {
    const n = Math.min(EVAL_BATCH, indices.length - start)
    const batch = batchIdx.subarray(0, n)
    for (let k = 0; k < n; k++) batch[k] = indices[start + k]
    const feeds: Record<string, Tensor> = { ...extraFeeds }
    for (const input of spec.inputs) {
      const size = inputSizes.get(input.name)!
      const buf = new Float32Array(n * size)
      fillInput(data.inputs[input.name], size, batch, buf, { training: false, epoch: info.epoch, random: Math.random })
      feeds[input.name] = new ort.Tensor('float32', buf, [n, ...input.shape])
    }
    const result = await session.run(feeds)
    for (const h of spec.heads) out[h.name].set(result[h.name].data as Float32Array, start * headSizes.get(h.name)!)
  }
  return out
}

/** Metrics per head ('<head>.loss', '<head>.accuracy', '<head>.auc') and the weighted total 'loss'. */
export function metricsFor(spec: NetworkSpec, scores: Record<string, Float32Array>, targets: TrainData['targets'], indices: ArrayLike<number>, headSizes: Map<string, number>) {
  const metrics: Record<string, number> = {}
  let total = 0
  for (const head of spec.heads) {
    const k = headSizes.get(head.name)!
    const t = targets?.[head.name]
    if (!t) continue
    let m: Record<string, number>
    if (head.loss.type === 'softmax-cross-entropy') {
      const labels = Int32Array.from(indices, (i) => (t as Labels)[i])
      m = classificationMetrics(scores[head.name], labels, k)
    } else {
      const picked = new Float32Array(indices.length * k)
      for (let n = 0; n < indices.length; n++) for (let j = 0; j < k; j++) picked[n * k + j] = t[indices[n] * k + j]
      m = head.loss.type === 'sigmoid-binary-cross-entropy' ? multiLabelMetrics(scores[head.name], picked, k) : { loss: meanSquaredError(scores[head.name], picked) }
    }
    for (const [name, v] of Object.entries(m)) metrics[`${head.name}.${name}`] = v
    total += (head.weight ?? 1) * m.loss
  }
  metrics.loss = total
  return metrics
}

export async function evaluateWithSession(
  session: InferenceSession,
  spec: NetworkSpec,
  params: Record<string, Tensor>,
  data: TrainData,
  indices: ArrayLike<number>,
  headSizes: Map<string, number>,
  inputSizes: Map<string, number>,
  info: { epoch: number }
): Promise<Record<string, number>> {
  const scores = await scoresWithSession(session, spec, params, data, indices, headSizes, inputSizes, info)
  return metricsFor(spec, scores, data.targets, indices, headSizes)
}

function sizes(spec: NetworkSpec) {
  const shapes = inferShapes(spec)
  const headSizes = new Map(spec.heads.map((h) => [h.name, (shapes.outputOf.get(h.from) ?? []).reduce((a, b) => a * b, 1)]))
  return headSizes
}

/** Each head's scores (softmax/sigmoid probabilities, or raw values for MSE heads) for every sample. */
export async function predict(
  spec: NetworkSpec,
  weights: Weights,
  data: Pick<TrainData, 'count' | 'inputs'>,
  options: { threads?: number } = {}
): Promise<Record<string, Float32Array>> {
  const headSizes = sizes(spec)
  const inputSizes = checkData(spec, { ...data, targets: {} }, 'Prediction data', headSizes, false)
  const session = await createSession(buildInferenceGraph(spec, weights).graph.toModelBytes(), { threads: options.threads })
  try {
    const all = Int32Array.from({ length: data.count }, (_, i) => i)
    return await scoresWithSession(session, spec, {}, data, all, headSizes, inputSizes, { epoch: 0 })
  } finally {
    await session.release()
  }
}

/** Metrics of the network on labelled data: '<head>.accuracy', '<head>.auc', '<head>.loss', 'loss'. */
export async function evaluate(spec: NetworkSpec, weights: Weights, data: TrainData, options: { threads?: number } = {}): Promise<Record<string, number>> {
  const headSizes = sizes(spec)
  checkData(spec, data, 'Evaluation data', headSizes, true)
  const scores = await predict(spec, weights, data, options)
  return metricsFor(spec, scores, data.targets, Int32Array.from({ length: data.count }, (_, i) => i), headSizes)
}
