/**
 * Finite-difference check of autodiff gradients, shared by the grad-*.test.ts files. The forward graph
 * is run with each input element nudged by ±eps; the central difference of L = Σ y·r (r random, summed in
 * float64 here) is compared with the gradient graph's answer for seed dy = r.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-node'
import { backward } from '../../../main/ml/autodiff/backward'
import { Graph, type Value } from '../../../main/ml/graph/graph'
import { createSession, loadOrt } from '../../../main/ml/runtime/ort'

export interface CheckInput {
  name: string
  shape: number[]
  data: Float32Array
  /** Differentiate with respect to this input (default true). */
  diff?: boolean
}

export interface GradReport {
  /** Per differentiated input: max |analytic − numeric| / max(max |numeric|, 1e-2). */
  errors: Record<string, number>
  analytic: Record<string, Float32Array>
  numeric: Record<string, Float64Array>
  extra: Record<string, Tensor>
}

/** Deterministic pseudo-random floats in [lo, hi). */
/** Relative L2 error of `got` against `want`: ‖got − want‖ / ‖want‖. */
export function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let d = 0
  let n = 0
  for (let i = 0; i < want.length; i++) {
    d += (got[i] - want[i]) ** 2
    n += want[i] ** 2
  }
  return Math.sqrt(d / n)
}

export function randomData(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0 || 1
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    out[i] = lo + ((s >>> 0) / 4294967296) * (hi - lo)
  }
  return out
}

async function run(session: InferenceSession, feeds: Record<string, Tensor>) {
  return session.run(feeds)
}

export async function gradCheck(
  inputs: CheckInput[],
  build: (g: Graph, values: Value[]) => Value,
  options: { eps?: number; seed?: number; extraOutputs?: (g: Graph) => Value[]; analyticOnly?: boolean } = {}
): Promise<GradReport> {
  const ort = await loadOrt()
  const eps = options.eps ?? 1e-2
  const tensor = (i: CheckInput, data = i.data) => new ort.Tensor('float32', data, i.shape)

  const fwd = new Graph('forward')
  const fy = build(
    fwd,
    inputs.map((i) => fwd.input(i.name, i.shape))
  )
  fwd.output(fy, 'checked_output')
  const forward = await createSession(fwd.toModelBytes(), { threads: 1 })

  const bwd = new Graph('gradient')
  const values = inputs.map((i) => bwd.input(i.name, i.shape))
  const y = build(bwd, values)
  const dy = bwd.input('dy', y.shape)
  const diffInputs = inputs.filter((i) => i.diff !== false)
  const grads = backward(bwd, [{ value: y, grad: dy }], values.filter((_, k) => inputs[k].diff !== false))
  grads.forEach((gv, k) => bwd.output(gv, `grad_${diffInputs[k].name}`))
  const extras = options.extraOutputs?.(bwd) ?? []
  extras.forEach((v) => bwd.output(v))
  const gradient = await createSession(bwd.toModelBytes(), { threads: 1 })

  const ySize = (y.shape as number[]).reduce((a, b) => a * b, 1)
  const r = randomData(ySize, options.seed ?? 99)
  const feeds: Record<string, Tensor> = Object.fromEntries(inputs.map((i) => [i.name, tensor(i)]))
  const out = await run(gradient, { ...feeds, dy: new ort.Tensor('float32', r, y.shape as number[]) })
  const extra: Record<string, Tensor> = Object.fromEntries(extras.map((v) => [v.name, out[v.name]]))

  const objective = async (fs: Record<string, Tensor>) => {
    const yv = (await run(forward, fs)).checked_output.data as Float32Array
    let s = 0
    for (let k = 0; k < yv.length; k++) s += yv[k] * r[k]
    return s
  }

  const report: GradReport = { errors: {}, analytic: {}, numeric: {}, extra }
  for (const i of diffInputs) {
    const analytic = out[`grad_${i.name}`].data as Float32Array
    const numeric = new Float64Array(i.data.length)
    const data = Float32Array.from(i.data)
    for (let k = 0; k < (options.analyticOnly ? 0 : data.length); k++) {
      const orig = data[k]
      data[k] = orig + eps
      const plus = await objective({ ...feeds, [i.name]: tensor(i, data) })
      data[k] = orig - eps
      const minus = await objective({ ...feeds, [i.name]: tensor(i, data) })
      data[k] = orig
      numeric[k] = (plus - minus) / (2 * eps)
    }
    let scale = 1e-2
    let worst = 0
    for (let k = 0; k < numeric.length; k++) scale = Math.max(scale, Math.abs(numeric[k]))
    for (let k = 0; k < numeric.length; k++) worst = Math.max(worst, Math.abs(analytic[k] - numeric[k]))
    report.errors[i.name] = worst / scale
    report.analytic[i.name] = analytic
    report.numeric[i.name] = numeric
  }
  await forward.release()
  await gradient.release()
  return report
}
