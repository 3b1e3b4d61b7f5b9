/** Gradient rules for element-wise ops, activations, MatMul/Gemm, reductions and shape ops. */
import type { Value } from '../graph/graph'
import * as op from '../graph/ops'
import { param, unbroadcast, type GradRule } from './rule'

export const basicRules: Record<string, GradRule> = {
  Add: (g, e, [dy], needs) => e.inputs.map((x, i) => (needs[i] ? unbroadcast(g, dy!, x.shape) : null)),

  Sub: (g, e, [dy], needs) => [
    needs[0] ? unbroadcast(g, dy!, e.inputs[0].shape) : null,
    needs[1] ? unbroadcast(g, op.neg(g, dy!), e.inputs[1].shape) : null
  ],

  Mul: (g, e, [dy], needs) => {
    const [a, b] = e.inputs
    return [needs[0] ? unbroadcast(g, op.mul(g, dy!, b), a.shape) : null, needs[1] ? unbroadcast(g, op.mul(g, dy!, a), b.shape) : null]
  },

  Div: (g, e, [dy], needs) => {
    const [a, b] = e.inputs
    const y = e.outputs[0]
    const da = needs[0] || needs[1] ? op.div(g, dy!, b) : null
    return [needs[0] ? unbroadcast(g, da!, a.shape) : null, needs[1] ? unbroadcast(g, op.neg(g, op.mul(g, da!, y)), b.shape) : null]
  },

  Sum: (g, e, [dy], needs) => e.inputs.map((x, i) => (needs[i] ? unbroadcast(g, dy!, x.shape) : null)),

  Neg: (g, _e, [dy]) => [op.neg(g, dy!)],
  Identity: (_g, _e, [dy]) => [dy],

  // dy where relu(x) > 0 (measured: a cast comparison beats Sign and Where on onnxruntime's CPU).
  Relu: (g, e, [dy]) => [op.mul(g, dy!, op.cast(g, op.greater(g, e.outputs[0], g.scalar(0)), 'float32'))],

  LeakyRelu: (g, e, [dy]) => {
    const alpha = param<number>(e, 'alpha')
    const positive = op.greater(g, e.inputs[0], g.scalar(0))
    return [op.where(g, positive, dy!, op.mul(g, dy!, g.scalar(alpha)))]
  },

  Sigmoid: (g, e, [dy]) => {
    const y = e.outputs[0]
    return [op.mul(g, dy!, op.mul(g, y, op.sub(g, g.scalar(1), y)))]
  },

  Tanh: (g, e, [dy]) => {
    const y = e.outputs[0]
    return [op.mul(g, dy!, op.sub(g, g.scalar(1), op.mul(g, y, y)))]
  },

  Exp: (g, e, [dy]) => [op.mul(g, dy!, e.outputs[0])],
  Log: (g, e, [dy]) => [op.div(g, dy!, e.inputs[0])],
  Sqrt: (g, e, [dy]) => [op.div(g, op.mul(g, dy!, g.scalar(0.5)), e.outputs[0])],
  Softplus: (g, e, [dy]) => [op.mul(g, dy!, op.sigmoid(g, e.inputs[0]))],

  Softmax: (g, e, [dy]) => {
    const y = e.outputs[0]
    const axis = param<number>(e, 'axis')
    const dot = op.reduceSum(g, op.mul(g, dy!, y), [axis], true)
    return [op.mul(g, y, op.sub(g, dy!, dot))]
  },

  LogSoftmax: (g, e, [dy]) => {
    const axis = param<number>(e, 'axis')
    const total = op.reduceSum(g, dy!, [axis], true)
    return [op.sub(g, dy!, op.mul(g, op.exp(g, e.outputs[0]), total))]
  },

  MatMul: (g, e, [dy], needs) => {
    const [a, b] = e.inputs
    if (a.shape.length === 2 && b.shape.length === 2) {
      return [needs[0] ? op.gemm(g, dy!, b, null, { transB: true }) : null, needs[1] ? op.gemm(g, a, dy!, null, { transA: true }) : null]
    }
    const swapLast = (v: Value) => op.transpose(g, v, [...v.shape.keys()].map((i, _, all) => (i < all.length - 2 ? i : i === all.length - 2 ? all.length - 1 : all.length - 2)))
    return [
      needs[0] ? unbroadcast(g, op.matMul(g, dy!, swapLast(b)), a.shape) : null,
      needs[1] ? unbroadcast(g, op.matMul(g, swapLast(a), dy!), b.shape) : null
    ]
  },

  Gemm: (g, e, [dy], needs) => {
    const [a, b, c] = e.inputs
    const { alpha, beta, transA, transB } = e.params as { alpha: number; beta: number; transA: boolean; transB: boolean }
    let da: Value | null = null
    let db: Value | null = null
    if (needs[0]) {
      da = transA
        ? op.gemm(g, b, dy!, null, { alpha, transA: transB, transB: true })
        : op.gemm(g, dy!, b, null, { alpha, transB: !transB })
    }
    if (needs[1]) {
      db = transB
        ? op.gemm(g, dy!, a, null, { alpha, transA: true, transB: transA })
        : op.gemm(g, a, dy!, null, { alpha, transA: !transA })
    }
    let dc: Value | null = null
    if (c && needs[2]) {
      dc = unbroadcast(g, dy!, c.shape)
      if (beta !== 1) dc = op.mul(g, dc, g.scalar(beta))
    }
    return c ? [da, db, dc] : [da, db]
  },

  ReduceSum: (g, e, [dy]) => {
    const x = e.inputs[0]
    const keep = param<boolean>(e, 'keepdims') ? dy! : op.reshape(g, dy!, keptShape(x.shape, param<number[]>(e, 'axes')))
    return [op.expand(g, keep, x.shape as number[])]
  },

  ReduceMean: (g, e, [dy]) => {
    const x = e.inputs[0]
    const axes = param<number[]>(e, 'axes')
    const count = axes.reduce((n, a) => n * (x.shape[a] as number), 1)
    const keep = param<boolean>(e, 'keepdims') ? dy! : op.reshape(g, dy!, keptShape(x.shape, axes))
    return [op.expand(g, op.mul(g, keep, g.scalar(1 / count)), x.shape as number[])]
  },

  Reshape: (g, e, [dy]) => [op.reshape(g, dy!, e.inputs[0].shape)],
  Flatten: (g, e, [dy]) => [op.reshape(g, dy!, e.inputs[0].shape)],

  Transpose: (g, e, [dy]) => {
    const perm = param<number[]>(e, 'perm')
    const inverse = perm.map((_, i) => perm.indexOf(i))
    return [op.transpose(g, dy!, inverse)]
  },

  Concat: (g, e, [dy], needs) => {
    const sizes = param<number[]>(e, 'sizes')
    const parts = op.split(g, dy!, param<number>(e, 'axis'), sizes)
    return parts.map((p, i) => (needs[i] ? p : null))
  }
}

function keptShape(shape: Value['shape'], axes: number[]) {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d))
}
