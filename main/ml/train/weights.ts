/** Initial weights (PyTorch's default initialisation, seeded) and copying/validating weight sets. */
import { LabError } from '../../errors'
import { networkParams } from './network'
import { Random } from './random'
import type { NetworkSpec } from './spec'
import type { Weights } from './types'

/** Dense/conv: U(−1/√fanIn, 1/√fanIn) for weight and bias; batchnorm: scale 1, bias 0, running 0/1. */
export function initWeights(spec: NetworkSpec, seed = 1): Weights {
  const random = new Random(seed)
  const out: Weights = {}
  for (const p of networkParams(spec)) {
    const size = p.shape.reduce((a, b) => a * b, 1)
    const data = new Float32Array(size)
    if (p.init.kind === 'uniform') for (let i = 0; i < size; i++) data[i] = (random.next() * 2 - 1) * p.init.bound
    else data.fill(p.init.value)
    out[p.name] = { shape: p.shape, data }
  }
  return out
}

/** Checks that `weights` has every parameter of the network with the right shape; returns copies. */
export function checkedWeights(spec: NetworkSpec, weights: Weights, what = 'initial weights'): Weights {
  const out: Weights = {}
  for (const p of networkParams(spec)) {
    const w = weights[p.name]
    const size = p.shape.reduce((a, b) => a * b, 1)
    if (!w) throw new LabError('invalid_argument', `The ${what} have no "${p.name}" (shape [${p.shape}]).`)
    if (w.data.length !== size) throw new LabError('invalid_argument', `In the ${what}, "${p.name}" has ${w.data.length} values; shape [${p.shape}] needs ${size}.`)
    out[p.name] = { shape: [...p.shape], data: Float32Array.from(w.data) }
  }
  return out
}
