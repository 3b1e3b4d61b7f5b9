/**
 * Training-mode batch normalisation against PyTorch's documented formulas (torch.nn.BatchNorm2d), evaluated
 * in float64 here: y = (x − E[x]) / √(Var[x] + ε) · γ + β with the biased batch variance, and running
 * statistics r ← (1 − m)·r + m·batch with the unbiased variance. PyTorch accumulates the batch sums in
 * double; float32 sums over the ~10⁵ values per channel of a real batch were off by up to 3e-5, enough to
 * flip near-tied max-pool windows after the batch norm and send gradients to other cells (the bench CNN then
 * missed loss parity with PyTorch). Bounds (relative, Euclidean norm over the tensor): y, batch mean and
 * variance ≤ 1e-6; dx, dγ, dβ ≤ 3e-6 (measured: at most 5.5e-7; one-pass float32 sums: y 8.8e-6, variance
 * 1.9e-5, dx 9.2e-6, dγ 9.5e-6). The batch is the bench CNN's first block (32×16×64×64), channels with
 * means of up to ±3σ. GRAD_REPORT=1 prints the errors.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { backward } from '../../../main/ml/autodiff/backward'
import { Graph } from '../../../main/ml/graph/graph'
import * as nn from '../../../main/ml/graph/nn'
import { createSession, loadOrt } from '../../../main/ml/runtime/ort'
import type { NetworkSpec } from '../../../main/ml/train/spec'
import { StepRunner } from '../../../main/ml/train/step-runner'
import { initWeights } from '../../../main/ml/train/weights'
import { randomData, relError } from './grad-check'

/** Per-channel mean and biased variance of x [N, C, S] in float64. */
function channelStats(x: Float32Array, n: number, c: number, s: number) {
  const mean = new Float64Array(c)
  const variance = new Float64Array(c)
  for (let ch = 0; ch < c; ch++) {
    let sum = 0
    for (let i = 0; i < n; i++) for (let j = 0, at = (i * c + ch) * s; j < s; j++) sum += x[at + j]
    mean[ch] = sum / (n * s)
    let sq = 0
    for (let i = 0; i < n; i++) for (let j = 0, at = (i * c + ch) * s; j < s; j++) sq += (x[at + j] - mean[ch]) ** 2
    variance[ch] = sq / (n * s)
  }
  return { mean, variance }
}

describe('batch normalisation in training mode, against PyTorch formulas in float64', () => {
  it('normalises with accurate batch statistics and back-propagates the closed-form gradient', async () => {
    const [N, C, H, W] = [32, 16, 64, 64]
    const S = H * W
    const eps = 1e-5
    const x = randomData(N * C * S, 11, -1, 1)
    const offsets = randomData(C, 12, -1.7, 1.7) // uniform [-1, 1) has σ ≈ 0.58: means up to ±3σ
    for (let i = 0; i < N; i++) for (let ch = 0; ch < C; ch++) for (let j = 0, at = (i * C + ch) * S; j < S; j++) x[at + j] += offsets[ch]
    const dy = randomData(N * C * S, 13, -1, 1)
    const gamma = randomData(C, 14, 0.5, 1.5)
    const beta = randomData(C, 15, -0.5, 0.5)

    const g = new Graph('bn')
    const xv = g.input('x', [N, C, H, W])
    const dyv = g.input('dy', [N, C, H, W])
    const gv = g.input('gamma', [C])
    const bv = g.input('beta', [C])
    const bn = nn.batchNormTrain(g, xv, gv, bv, eps)
    const [dx, dg, db] = backward(g, [{ value: bn.y, grad: dyv }], [xv, gv, bv])
    for (const [v, name] of [
      [bn.y, 'y'],
      [bn.mean, 'mean'],
      [bn.variance, 'variance'],
      [dx, 'dx'],
      [dg, 'dgamma'],
      [db, 'dbeta']
    ] as const)
      g.output(v, name)
    const ort = await loadOrt()
    const session = await createSession(g.toModelBytes(), { threads: 2, graphOptimizationLevel: 'extended' })
    const t = (data: Float32Array, shape: number[]) => new ort.Tensor('float32', data, shape)
    const out = await session.run({ x: t(x, [N, C, H, W]), dy: t(dy, [N, C, H, W]), gamma: t(gamma, [C]), beta: t(beta, [C]) })
    await session.release()
    const got = (name: string) => out[name].data as Float32Array

    const { mean, variance } = channelStats(x, N, C, S)
    const count = N * S
    const y = new Float64Array(x.length)
    const wantDx = new Float64Array(x.length)
    const wantDg = new Float64Array(C)
    const wantDb = new Float64Array(C)
    for (let ch = 0; ch < C; ch++) {
      const inv = 1 / Math.sqrt(variance[ch] + eps)
      let sumDy = 0
      let sumDyXhat = 0
      for (let i = 0; i < N; i++)
        for (let j = 0, at = (i * C + ch) * S; j < S; j++) {
          const xhat = (x[at + j] - mean[ch]) * inv
          y[at + j] = xhat * gamma[ch] + beta[ch]
          sumDy += dy[at + j]
          sumDyXhat += dy[at + j] * xhat
        }
      wantDb[ch] = sumDy
      wantDg[ch] = sumDyXhat
      // dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy·x̂))
      for (let i = 0; i < N; i++)
        for (let j = 0, at = (i * C + ch) * S; j < S; j++) {
          const xhat = (x[at + j] - mean[ch]) * inv
          wantDx[at + j] = gamma[ch] * inv * (dy[at + j] - sumDy / count - (xhat * sumDyXhat) / count)
        }
    }
    const bounds: [string, ArrayLike<number>, number][] = [
      ['y', y, 1e-6],
      ['mean', mean, 1e-6],
      ['variance', variance, 1e-6],
      ['dx', wantDx, 3e-6],
      ['dgamma', wantDg, 3e-6],
      ['dbeta', wantDb, 3e-6]
    ]
    const errors = bounds.map(([name, want]) => `${name} ${relError(got(name), want).toExponential(1)}`)
    if (process.env.GRAD_REPORT) console.log(errors.join(', '))
    for (const [name, want, bound] of bounds) {
      const err = relError(got(name), want)
      assert.ok(err <= bound, `${name}: relative error ${err.toExponential(2)} > ${bound} (all: ${errors.join(', ')})`)
    }
  })

  it('updates the running statistics as PyTorch does (momentum 0.1, unbiased variance)', async () => {
    const network: NetworkSpec = {
      inputs: [{ name: 'x', shape: [3, 5, 5] }],
      layers: [{ type: 'batchnorm', name: 'bn' }, { type: 'globalavgpool' }, { type: 'dense', units: 2, name: 'out' }],
      heads: [{ name: 'y', from: 'out', loss: { type: 'softmax-cross-entropy' } }]
    }
    const [B, C, S] = [4, 3, 25]
    const runner = await StepRunner.create(network, { batchSize: B, optimizer: { type: 'sgd', learningRate: 0.1 }, seed: 1, threads: 1 })
    try {
      const start = initWeights(network, 3)
      start['bn.runningMean'].data.set([0.5, -1, 2])
      start['bn.runningVar'].data.set([2, 0.5, 1])
      runner.load({ weights: start })
      const x = runner.inputs.get('x')!
      x.set(randomData(B * C * S, 21, -2, 3))
      runner.targets.get('y')!.target!.set([1, 0, 0, 1, 1, 0, 0, 1].map((v) => v / B))
      await runner.run(1, [0.1])
      const { mean, variance } = channelStats(x, B, C, S)
      const n = B * S
      const w = runner.weights()
      for (let ch = 0; ch < C; ch++) {
        const wantMean = 0.9 * start['bn.runningMean'].data[ch] + 0.1 * mean[ch]
        const wantVar = 0.9 * start['bn.runningVar'].data[ch] + 0.1 * variance[ch] * (n / (n - 1))
        assert.ok(Math.abs(w['bn.runningMean'].data[ch] - wantMean) <= 1e-6 * Math.max(1, Math.abs(wantMean)), `running mean ${ch}: ${w['bn.runningMean'].data[ch]} vs ${wantMean}`)
        assert.ok(Math.abs(w['bn.runningVar'].data[ch] / wantVar - 1) <= 1e-6, `running variance ${ch}: ${w['bn.runningVar'].data[ch]} vs ${wantVar}`)
      }
    } finally {
      await runner.release()
    }
  })
})
