/**
 * Loss ops. Each takes its per-element weights as tensors prepared by the caller (class weights, label
 * smoothing, positive weights, missing-label masks and the mean's denominator folded in), so one small
 * graph serves every variant, and each is one tape entry with a closed-form gradient.
 */
import type { Graph, Value } from './graph'
import * as op from './ops'

function quiet<T>(g: Graph, f: () => T): T {
  const recording = g.recording
  g.recording = false
  try {
    return f()
  } finally {
    g.recording = recording
  }
}

/**
 * Softmax cross-entropy: loss = −Σ target ⊙ logSoftmax(logits) over [N, C]. `target` rows are the
 * (smoothed) target distributions already multiplied by their sample's weight / the total weight.
 */
export function softmaxCrossEntropy(g: Graph, logits: Value, target: Value): Value {
  const { logp, loss } = quiet(g, () => {
    const logp = op.logSoftmax(g, logits, -1)
    return { logp, loss: op.neg(g, op.reduceSum(g, op.mul(g, target, logp), [], false)) }
  })
  g.record({ op: 'SoftmaxCrossEntropy', inputs: [logits, target], outputs: [loss], params: { logp } })
  return loss
}

/**
 * Sigmoid binary cross-entropy with logits, written as loss = Σ a ⊙ x + b ⊙ softplus(−x) where, per
 * element, a = m(1 − y) and b = m(1 + (p − 1)y) for target y, positive weight p and mask/normaliser m
 * (PyTorch's BCEWithLogitsLoss with pos_weight, per-element mask).
 */
export function sigmoidBinaryCrossEntropy(g: Graph, logits: Value, a: Value, b: Value): Value {
  const loss = quiet(g, () => {
    const linear = op.mul(g, a, logits)
    const soft = op.mul(g, b, op.softplus(g, op.neg(g, logits)))
    return op.reduceSum(g, op.add(g, linear, soft), [], false)
  })
  g.record({ op: 'SigmoidBinaryCrossEntropy', inputs: [logits, a, b], outputs: [loss], params: {} })
  return loss
}

/** Weighted squared error: loss = Σ w ⊙ (x − t)², w broadcast (e.g. the scalar 1/numel for a mean). */
export function squaredError(g: Graph, x: Value, target: Value, weight: Value): Value {
  const { diff, loss } = quiet(g, () => {
    const diff = op.sub(g, x, target)
    return { diff, loss: op.reduceSum(g, op.mul(g, op.mul(g, diff, diff), weight), [], false) }
  })
  g.record({ op: 'SquaredError', inputs: [x, target, weight], outputs: [loss], params: { diff } })
  return loss
}
