/**
 * Operating points chosen on validation data: the threshold on a finding's probability above which the
 * finding is flagged. The default is Youden's J (sensitivity + specificity − 1, the point of the ROC
 * curve farthest above chance); a site may prefer a sensitivity target instead (site.ts overrides).
 */

export interface OperatingPoint {
  threshold: number
  sensitivity: number
  specificity: number
}

/** Sensitivity and specificity of `score ≥ threshold` on labelled data. */
export function operatingPoint(scores: ArrayLike<number>, targets: ArrayLike<number>, threshold: number): OperatingPoint {
  let tp = 0
  let fn = 0
  let tn = 0
  let fp = 0
  for (let i = 0; i < scores.length; i++) {
    const t = targets[i]
    if (!(t === 0 || t === 1)) continue
    const flagged = scores[i] >= threshold
    if (t === 1) flagged ? tp++ : fn++
    else flagged ? fp++ : tn++
  }
  return { threshold, sensitivity: tp + fn ? tp / (tp + fn) : NaN, specificity: tn + fp ? tn / (tn + fp) : NaN }
}

/**
 * The threshold with the highest Youden's J; candidate thresholds lie midway between consecutive
 * distinct scores, so the choice does not sit on one validation case. With `minSensitivity`, the
 * highest threshold that still reaches it.
 */
export function chooseThreshold(scores: ArrayLike<number>, targets: ArrayLike<number>, options: { minSensitivity?: number } = {}): OperatingPoint {
  const labelled: { s: number; t: number }[] = []
  for (let i = 0; i < scores.length; i++) if (targets[i] === 0 || targets[i] === 1) labelled.push({ s: scores[i], t: targets[i] })
  const positives = labelled.filter((x) => x.t === 1).length
  const negatives = labelled.length - positives
  if (positives === 0 || negatives === 0) return { threshold: 0.5, sensitivity: NaN, specificity: NaN }
  labelled.sort((a, b) => b.s - a.s)
  // Walk the thresholds from high to low: everything above the cut is flagged.
  let tp = 0
  let fp = 0
  let best: OperatingPoint | null = null
  let bestJ = -Infinity
  for (let i = 0; i < labelled.length; i++) {
    if (labelled[i].t === 1) tp++
    else fp++
    const next = labelled[i + 1]
    if (next && next.s === labelled[i].s) continue
    const threshold = next ? (labelled[i].s + next.s) / 2 : labelled[i].s / 2
    const sensitivity = tp / positives
    const specificity = 1 - fp / negatives
    if (options.minSensitivity !== undefined) {
      if (sensitivity >= options.minSensitivity) return { threshold, sensitivity, specificity }
      continue
    }
    const j = sensitivity + specificity - 1
    if (j > bestJ + 1e-12) {
      bestJ = j
      best = { threshold, sensitivity, specificity }
    }
  }
  return best ?? { threshold: 0.5, sensitivity: NaN, specificity: NaN }
}
