/** Evaluation metrics computed from predicted scores (probabilities) and targets. */

/** Area under the ROC curve for binary labels (ties get the average rank); NaN when a class is absent. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b])
  let positives = 0
  let rankSum = 0
  for (let i = 0; i < n; ) {
    let j = i
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++
    const rank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) if (labels[order[k]] > 0.5) {
      positives++
      rankSum += rank
    }
    i = j + 1
  }
  const negatives = n - positives
  if (positives === 0 || negatives === 0) return NaN
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives)
}

/** Mean of the finite values (NaN when none). */
export function finiteMean(values: number[]): number {
  const ok = values.filter(Number.isFinite)
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN
}

/**
 * Softmax-head metrics from probabilities [n, c] and class indices (-1 = unlabelled, skipped):
 * accuracy, mean cross-entropy, and AUC (class 1 vs rest for two classes; macro one-vs-rest otherwise).
 */
export function classificationMetrics(probs: Float32Array, labels: ArrayLike<number>, classes: number) {
  const idx: number[] = []
  for (let i = 0; i < labels.length; i++) if (labels[i] >= 0) idx.push(i)
  let correct = 0
  let loss = 0
  for (const i of idx) {
    let best = 0
    for (let c = 1; c < classes; c++) if (probs[i * classes + c] > probs[i * classes + best]) best = c
    if (best === labels[i]) correct++
    loss -= Math.log(Math.max(probs[i * classes + labels[i]], 1e-12))
  }
  const aucFor = (c: number) =>
    rocAuc(
      idx.map((i) => probs[i * classes + c]),
      idx.map((i) => (labels[i] === c ? 1 : 0))
    )
  const auc = classes === 2 ? aucFor(1) : finiteMean(Array.from({ length: classes }, (_, c) => aucFor(c)))
  return { accuracy: idx.length ? correct / idx.length : NaN, loss: idx.length ? loss / idx.length : NaN, auc }
}

/** Multi-label metrics from probabilities [n, k] and 0/1 targets (NaN = missing): macro AUC, accuracy at 0.5, BCE. */
export function multiLabelMetrics(probs: Float32Array, targets: Float32Array, k: number) {
  const n = probs.length / k
  let correct = 0
  let count = 0
  let loss = 0
  const aucs: number[] = []
  for (let j = 0; j < k; j++) {
    const s: number[] = []
    const t: number[] = []
    for (let i = 0; i < n; i++) {
      const y = targets[i * k + j]
      if (Number.isNaN(y)) continue
      const p = probs[i * k + j]
      s.push(p)
      t.push(y)
      if (p >= 0.5 === y >= 0.5) correct++
      count++
      loss -= y * Math.log(Math.max(p, 1e-12)) + (1 - y) * Math.log(Math.max(1 - p, 1e-12))
    }
    aucs.push(rocAuc(s, t))
  }
  return { auc: finiteMean(aucs), accuracy: count ? correct / count : NaN, loss: count ? loss / count : NaN }
}

export function meanSquaredError(pred: Float32Array, target: Float32Array): number {
  let s = 0
  for (let i = 0; i < pred.length; i++) s += (pred[i] - target[i]) ** 2
  return s / pred.length
}
