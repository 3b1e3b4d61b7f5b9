/**
 * Platt scaling: p = σ(a·z + b) fitted to validation logits z and 0/1 targets by Newton's method on the
 * log-loss (two parameters, so it converges in a handful of steps). Heads trained with balanced loss
 * weights over-predict rare findings; this puts their probabilities back on the scale of the data.
 * Temperature scaling (one shared 1/T for a softmax head) is the multi-class counterpart.
 */

export interface Platt {
  a: number
  b: number
}

export const identityPlatt: Platt = { a: 1, b: 0 }

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z))

export function logit(p: number): number {
  const q = Math.min(1 - 1e-7, Math.max(1e-7, p))
  return Math.log(q / (1 - q))
}

/** Fits a and b; a small L2 pull towards (1, 0) keeps the fit finite when the classes separate. */
export function fitPlatt(logits: ArrayLike<number>, targets: ArrayLike<number>, ridge = 1e-3): Platt {
  let a = 1
  let b = 0
  const n = logits.length
  if (n === 0) return identityPlatt
  for (let iter = 0; iter < 50; iter++) {
    let ga = ridge * (a - 1) * n
    let gb = ridge * b * n
    let haa = ridge * n
    let hab = 0
    let hbb = ridge * n
    for (let i = 0; i < n; i++) {
      const z = logits[i]
      const p = sigmoid(a * z + b)
      const e = p - targets[i]
      const w = Math.max(p * (1 - p), 1e-12)
      ga += e * z
      gb += e
      haa += w * z * z
      hab += w * z
      hbb += w
    }
    const det = haa * hbb - hab * hab
    if (!(Math.abs(det) > 1e-18)) break
    const da = (hbb * ga - hab * gb) / det
    const db = (haa * gb - hab * ga) / det
    a -= da
    b -= db
    if (Math.abs(da) + Math.abs(db) < 1e-9) break
  }
  return { a, b }
}

export function applyPlatt(p: Platt, z: number): number {
  return sigmoid(p.a * z + p.b)
}

/**
 * Temperature for a softmax head: the T minimising the validation cross-entropy of softmax(z / T),
 * by golden-section search over log T in [1/20, 20].
 */
export function fitTemperature(logits: Float32Array | number[], labels: ArrayLike<number>, classes: number): number {
  const n = labels.length
  const nll = (t: number) => {
    let s = 0
    for (let i = 0; i < n; i++) {
      if (labels[i] < 0) continue
      let max = -Infinity
      for (let c = 0; c < classes; c++) max = Math.max(max, logits[i * classes + c] / t)
      let sum = 0
      for (let c = 0; c < classes; c++) sum += Math.exp(logits[i * classes + c] / t - max)
      s -= logits[i * classes + labels[i]] / t - max - Math.log(sum)
    }
    return s
  }
  let lo = Math.log(1 / 20)
  let hi = Math.log(20)
  const phi = (Math.sqrt(5) - 1) / 2
  for (let k = 0; k < 60; k++) {
    const m1 = hi - phi * (hi - lo)
    const m2 = lo + phi * (hi - lo)
    if (nll(Math.exp(m1)) < nll(Math.exp(m2))) hi = m2
    else lo = m1
  }
  return Math.exp((lo + hi) / 2)
}
