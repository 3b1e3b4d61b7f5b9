/**
 * Expected calibration error: predictions binned by confidence into equal-width bins; the mean gap
 * between each bin's mean predicted probability and its observed frequency, weighted by the bin's
 * share of the predictions (Naeini et al. 2015; Guo et al. 2017). 0 is perfect. For a binary finding
 * the prediction is P(finding) and the outcome its presence (both classes count, as in a reliability
 * diagram of that finding).
 */

export interface ReliabilityBin {
  /** Lower and upper edge of the bin. */
  from: number
  to: number
  count: number
  meanPredicted: number
  observed: number
}

export function reliability(probs: ArrayLike<number>, targets: ArrayLike<number>, bins = 10): ReliabilityBin[] {
  const out: ReliabilityBin[] = Array.from({ length: bins }, (_, k) => ({ from: k / bins, to: (k + 1) / bins, count: 0, meanPredicted: 0, observed: 0 }))
  for (let i = 0; i < probs.length; i++) {
    const t = targets[i]
    if (!(t === 0 || t === 1)) continue
    const k = Math.min(bins - 1, Math.max(0, Math.floor(probs[i] * bins)))
    out[k].count++
    out[k].meanPredicted += probs[i]
    out[k].observed += t
  }
  for (const b of out) {
    if (b.count > 0) {
      b.meanPredicted /= b.count
      b.observed /= b.count
    }
  }
  return out
}

/** ECE over `bins` equal-width bins; NaN without labelled predictions. */
export function expectedCalibrationError(probs: ArrayLike<number>, targets: ArrayLike<number>, bins = 10): number {
  const r = reliability(probs, targets, bins)
  const total = r.reduce((s, b) => s + b.count, 0)
  if (total === 0) return NaN
  return r.reduce((s, b) => s + (b.count / total) * Math.abs(b.meanPredicted - b.observed), 0)
}
