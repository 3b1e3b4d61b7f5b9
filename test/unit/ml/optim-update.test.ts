/**
 * Optimizer nodes against plain-JS transcriptions of PyTorch's update rules (AdamW; SGD with momentum,
 * Nesterov and weight decay; global-norm clipping) over several steps, and the learning-rate schedules.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Graph } from '../../../main/ml/graph/graph'
import { clipGlobalNorm, makeOptimizer } from '../../../main/ml/optim/optimizer'
import { learningRateAt } from '../../../main/ml/optim/schedule'
import type { OptimizerSpec } from '../../../main/ml/optim/spec'
import { createSession, loadOrt } from '../../../main/ml/runtime/ort'
import { randomData } from './grad-check'

const N = 50

/** Runs `steps` updates of the optimizer graph on one parameter with the given gradients. */
async function runGraph(spec: OptimizerSpec, p0: Float32Array, grads: Float32Array[], lrs: number[]): Promise<Float32Array> {
  const ort = await loadOrt()
  const opt = makeOptimizer(spec)
  const g = new Graph('optim')
  const p = g.input('p', [N])
  const grad = g.input('g', [N])
  const slots = Array.from({ length: opt.slotCount }, (_, k) => g.input(`s${k}`, [N]))
  const scalars = Object.fromEntries(opt.scalarNames.map((s) => [s, g.input(`hp_${s}`, [])]))
  const [update] = opt.emit(g, [{ param: p, grad, slots }], scalars)
  g.output(update.param, 'p_out')
  update.slots.forEach((s, k) => g.output(s, `s${k}_out`))
  const session = await createSession(g.toModelBytes(), { threads: 1 })
  let param: Float32Array = p0
  let state: Float32Array[] = slots.map(() => new Float32Array(N))
  for (let t = 0; t < grads.length; t++) {
    const hp = opt.scalars(t + 1, lrs[t])
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
      p: new ort.Tensor('float32', param, [N]),
      g: new ort.Tensor('float32', grads[t], [N])
    }
    state.forEach((s, k) => (feeds[`s${k}`] = new ort.Tensor('float32', s, [N])))
    for (const s of opt.scalarNames) feeds[`hp_${s}`] = new ort.Tensor('float32', Float32Array.from([hp[s]]), [])
    const out = await session.run(feeds)
    param = out.p_out.data as Float32Array
    state = state.map((_, k) => out[`s${k}_out`].data as Float32Array)
  }
  await session.release()
  return param
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) {
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * Math.max(1, Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]}`)
}

const p0 = randomData(N, 1)
const grads = [2, 3, 4, 5].map((s) => randomData(N, s, -0.5, 0.5))
const lrs = [0.1, 0.05, 0.02, 0.01]

describe('optimizer update nodes', () => {
  it('AdamW matches torch.optim.AdamW', async () => {
    const [b1, b2, eps, wd] = [0.8, 0.95, 1e-6, 0.1]
    const got = await runGraph({ type: 'adamw', learningRate: 0.1, beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd }, p0, grads, lrs)
    const p = Float64Array.from(p0)
    const m = new Float64Array(N)
    const v = new Float64Array(N)
    grads.forEach((g, t) => {
      const lr = lrs[t]
      const bc1 = 1 - b1 ** (t + 1)
      const bc2 = 1 - b2 ** (t + 1)
      for (let i = 0; i < N; i++) {
        p[i] *= 1 - lr * wd
        m[i] = b1 * m[i] + (1 - b1) * g[i]
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
        p[i] -= (lr / bc1) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + eps))
      }
    })
    close(got, p, 1e-5, 'AdamW')
  })

  it('SGD with momentum, Nesterov and weight decay matches torch.optim.SGD', async () => {
    for (const nesterov of [false, true]) {
      const [mu, wd] = [0.9, 0.01]
      const got = await runGraph({ type: 'sgd', learningRate: 0.1, momentum: mu, nesterov, weightDecay: wd }, p0, grads, lrs)
      const p = Float64Array.from(p0)
      const buf = new Float64Array(N)
      grads.forEach((g, t) => {
        for (let i = 0; i < N; i++) {
          const d = g[i] + wd * p[i]
          buf[i] = t === 0 ? d : mu * buf[i] + d
          p[i] -= lrs[t] * (nesterov ? d + mu * buf[i] : buf[i])
        }
      })
      close(got, p, 1e-5, `SGD nesterov=${nesterov}`)
    }
    const plain = await runGraph({ type: 'sgd', learningRate: 0.1 }, p0, grads.slice(0, 1), lrs)
    close(plain, Array.from(p0, (v, i) => v - 0.1 * grads[0][i]), 1e-6, 'plain SGD')
  })

  it('clips the global gradient norm like clip_grad_norm_', async () => {
    const ort = await loadOrt()
    const g = new Graph('clip')
    const a = g.input('a', [N])
    const b = g.input('b', [3, 4])
    const [ca, cb] = clipGlobalNorm(g, [a, b], 0.5)
    g.output(ca, 'ca')
    g.output(cb, 'cb')
    const session = await createSession(g.toModelBytes(), { threads: 1 })
    const av = grads[0]
    const bv = randomData(12, 9)
    const out = await session.run({ a: new ort.Tensor('float32', av, [N]), b: new ort.Tensor('float32', bv, [3, 4]) })
    await session.release()
    const norm = Math.sqrt([...av, ...bv].reduce((s, x) => s + x * x, 0))
    const coef = Math.min(1, 0.5 / (norm + 1e-6))
    assert.ok(norm > 0.5)
    close(out.ca.data as Float32Array, Array.from(av, (x) => x * coef), 1e-6, 'clipped a')
    close(out.cb.data as Float32Array, Array.from(bv, (x) => x * coef), 1e-6, 'clipped b')
  })

  it('schedules: step decay, cosine with warm-up', () => {
    const at = (epoch: number, step: number) => ({ epoch, step, stepsPerEpoch: 10, epochs: 10 })
    assert.equal(learningRateAt({ type: 'step', everyEpochs: 3, gamma: 0.1 }, 1, at(2, 29)), 1)
    assert.ok(Math.abs(learningRateAt({ type: 'step', everyEpochs: 3, gamma: 0.1 }, 1, at(3, 30)) - 0.1) < 1e-12)
    const cosine = { type: 'cosine', minLearningRate: 0.1, warmupEpochs: 1 } as const
    assert.equal(learningRateAt(cosine, 1, at(0, 4)), 0.5)
    assert.equal(learningRateAt(cosine, 1, at(1, 10)), 1)
    assert.ok(Math.abs(learningRateAt(cosine, 1, at(5, 55)) - 0.55) < 1e-12)
    assert.ok(Math.abs(learningRateAt(cosine, 1, at(9, 100)) - 0.1) < 1e-12)
    assert.equal(learningRateAt(undefined, 0.3, at(4, 40)), 0.3)
  })
})
