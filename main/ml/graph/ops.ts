/**
 * Typed ONNX ops (opset 17) with shape inference. Each call emits its node(s) and, while the graph is
 * recording, puts one entry on the tape under the op's name so that autodiff can differentiate it.
 * Convolution, pooling and normalisation live in nn.ts.
 */
import { attr, type Attr, type DType, type Graph, type Shape, type Value } from './graph'
import { broadcastShapes, normAxis } from './shapes'

function unary(g: Graph, op: string, x: Value, attrs: Record<string, Attr> = {}, params: Record<string, unknown> = {}): Value {
  const [y] = g.emit(op, [x], [{ shape: x.shape, dtype: x.dtype }], attrs)
  g.record({ op, inputs: [x], outputs: [y], params })
  return y
}

function binary(g: Graph, op: string, a: Value, b: Value, dtype: DType = a.dtype): Value {
  const [y] = g.emit(op, [a, b], [{ shape: broadcastShapes(a.shape, b.shape), dtype }])
  g.record({ op, inputs: [a, b], outputs: [y], params: {} })
  return y
}

export const add = (g: Graph, a: Value, b: Value) => binary(g, 'Add', a, b)
export const sub = (g: Graph, a: Value, b: Value) => binary(g, 'Sub', a, b)
export const mul = (g: Graph, a: Value, b: Value) => binary(g, 'Mul', a, b)
export const div = (g: Graph, a: Value, b: Value) => binary(g, 'Div', a, b)
export const greater = (g: Graph, a: Value, b: Value) => binary(g, 'Greater', a, b, 'bool')
export const pow = (g: Graph, a: Value, b: Value) => binary(g, 'Pow', a, b)

export const relu = (g: Graph, x: Value) => unary(g, 'Relu', x)
export const sigmoid = (g: Graph, x: Value) => unary(g, 'Sigmoid', x)
export const tanh = (g: Graph, x: Value) => unary(g, 'Tanh', x)
export const exp = (g: Graph, x: Value) => unary(g, 'Exp', x)
export const log = (g: Graph, x: Value) => unary(g, 'Log', x)
export const neg = (g: Graph, x: Value) => unary(g, 'Neg', x)
export const sqrt = (g: Graph, x: Value) => unary(g, 'Sqrt', x)
export const reciprocal = (g: Graph, x: Value) => unary(g, 'Reciprocal', x)
export const sign = (g: Graph, x: Value) => unary(g, 'Sign', x)
export const softplus = (g: Graph, x: Value) => unary(g, 'Softplus', x)
export const identity = (g: Graph, x: Value) => unary(g, 'Identity', x)
export const leakyRelu = (g: Graph, x: Value, alpha = 0.01) =>
  unary(g, 'LeakyRelu', x, { alpha: attr.float(alpha) }, { alpha })
export const softmax = (g: Graph, x: Value, axis = -1) =>
  unary(g, 'Softmax', x, { axis: attr.int(axis) }, { axis: normAxis(axis, x.shape.length) })
export const logSoftmax = (g: Graph, x: Value, axis = -1) =>
  unary(g, 'LogSoftmax', x, { axis: attr.int(axis) }, { axis: normAxis(axis, x.shape.length) })

export function cast(g: Graph, x: Value, to: DType): Value {
  const codes: Record<DType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float64: 11 }
  const [y] = g.emit('Cast', [x], [{ shape: x.shape, dtype: to }], { to: attr.int(codes[to]) })
  return y
}

export function where(g: Graph, cond: Value, a: Value, b: Value): Value {
  const shape = broadcastShapes(broadcastShapes(cond.shape, a.shape), b.shape)
  const [y] = g.emit('Where', [cond, a, b], [{ shape, dtype: a.dtype }])
  return y
}

/** Variadic element-wise sum (one node). */
export function sum(g: Graph, xs: Value[]): Value {
  if (xs.length === 1) return xs[0]
  const shape = xs.map((x) => x.shape).reduce(broadcastShapes)
  const [y] = g.emit('Sum', xs, [{ shape, dtype: xs[0].dtype }])
  g.record({ op: 'Sum', inputs: xs, outputs: [y], params: {} })
  return y
}

export function matMul(g: Graph, a: Value, b: Value): Value {
  if (a.shape.length < 2 || b.shape.length < 2) throw new Error('matMul: operands must have rank ≥ 2')
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2))
  const shape = [...batch, a.shape.at(-2)!, b.shape.at(-1)!]
  const [y] = g.emit('MatMul', [a, b], [{ shape, dtype: a.dtype }])
  g.record({ op: 'MatMul', inputs: [a, b], outputs: [y], params: {} })
  return y
}

export interface GemmOptions {
  alpha?: number
  beta?: number
  transA?: boolean
  transB?: boolean
}

/** Y = alpha·op(A)·op(B) + beta·C (2-D). */
export function gemm(g: Graph, a: Value, b: Value, c: Value | null, o: GemmOptions = {}): Value {
  const { alpha = 1, beta = 1, transA = false, transB = false } = o
  const m = transA ? a.shape[1] : a.shape[0]
  const n = transB ? b.shape[0] : b.shape[1]
  const attrs: Record<string, Attr> = {}
  if (alpha !== 1) attrs.alpha = attr.float(alpha)
  if (beta !== 1) attrs.beta = attr.float(beta)
  if (transA) attrs.transA = attr.int(1)
  if (transB) attrs.transB = attr.int(1)
  const inputs = c ? [a, b, c] : [a, b]
  const [y] = g.emit('Gemm', inputs, [{ shape: [m, n], dtype: a.dtype }], attrs)
  g.record({ op: 'Gemm', inputs, outputs: [y], params: { alpha, beta, transA, transB } })
  return y
}

function axesConst(g: Graph, axes: number[]): Value {
  return g.constant(axes, [axes.length], 'int64')
}

function reducedShape(shape: Shape, axes: number[], keepdims: boolean): Shape {
  const out: Shape = []
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d)
    else if (keepdims) out.push(1)
  })
  return out
}

/** ReduceSum/ReduceMean/ReduceSumSquare/ReduceMax over `axes` (all axes when empty). */
export function reduce(
  g: Graph,
  op: 'ReduceSum' | 'ReduceMean' | 'ReduceSumSquare' | 'ReduceMax',
  x: Value,
  axes: number[],
  keepdims = true
): Value {
  const rank = x.shape.length
  const norm = (axes.length ? axes : x.shape.map((_, i) => i)).map((a) => normAxis(a, rank)).sort((a, b) => a - b)
  const shape = reducedShape(x.shape, norm, keepdims)
  const attrs = { keepdims: attr.int(keepdims ? 1 : 0) }
  // Opset 17: ReduceSum takes axes as an input, the others as an attribute.
  const [y] =
    op === 'ReduceSum'
      ? g.emit(op, [x, axesConst(g, norm)], [{ shape, dtype: x.dtype }], attrs)
      : g.emit(op, [x], [{ shape, dtype: x.dtype }], { ...attrs, axes: attr.ints(norm) })
  g.record({ op, inputs: [x], outputs: [y], params: { axes: norm, keepdims } })
  return y
}

export const reduceSum = (g: Graph, x: Value, axes: number[], keepdims = true) => reduce(g, 'ReduceSum', x, axes, keepdims)
export const reduceMean = (g: Graph, x: Value, axes: number[], keepdims = true) => reduce(g, 'ReduceMean', x, axes, keepdims)

/** Reshape to a shape of numbers (−1 once allowed, 0 copies the input dim) or of the input's symbolic dims. */
export function reshape(g: Graph, x: Value, shape: Shape): Value {
  const spec = shape.map((d, i) => (typeof d === 'number' ? d : d === x.shape[i] ? 0 : NaN))
  if (spec.some((d) => Number.isNaN(d))) throw new Error(`reshape: cannot express [${shape}] from [${x.shape}]`)
  const known = x.shape.every((d) => typeof d === 'number')
  let out: Shape = shape.map((d, i) => (d === 0 ? x.shape[i] : d))
  if (out.includes(-1)) {
    if (!known) throw new Error('reshape: -1 needs a static input shape')
    const total = (x.shape as number[]).reduce((a, b) => a * b, 1)
    const rest = (out.filter((d) => d !== -1) as number[]).reduce((a, b) => a * b, 1)
    out = out.map((d) => (d === -1 ? total / rest : d))
  }
  const [y] = g.emit('Reshape', [x, g.constant(spec, [spec.length], 'int64')], [{ shape: out, dtype: x.dtype }])
  g.record({ op: 'Reshape', inputs: [x], outputs: [y], params: {} })
  return y
}

export function flatten(g: Graph, x: Value, axis = 1): Value {
  const head = x.shape.slice(0, axis)
  const tail = x.shape.slice(axis)
  const prod = (s: Shape) => (s.every((d) => typeof d === 'number') ? (s as number[]).reduce((a, b) => a * b, 1) : `${s.join('*')}`)
  const [y] = g.emit('Flatten', [x], [{ shape: [prod(head), prod(tail)], dtype: x.dtype }], { axis: attr.int(axis) })
  g.record({ op: 'Flatten', inputs: [x], outputs: [y], params: { axis } })
  return y
}

export function transpose(g: Graph, x: Value, perm: number[]): Value {
  const [y] = g.emit('Transpose', [x], [{ shape: perm.map((p) => x.shape[p]), dtype: x.dtype }], { perm: attr.ints(perm) })
  g.record({ op: 'Transpose', inputs: [x], outputs: [y], params: { perm } })
  return y
}

export function concat(g: Graph, xs: Value[], axis: number): Value {
  const a = normAxis(axis, xs[0].shape.length)
  const shape = [...xs[0].shape]
  const sizes = xs.map((x) => x.shape[a])
  shape[a] = sizes.every((d) => typeof d === 'number') ? (sizes as number[]).reduce((p, q) => p + q, 0) : sizes.join('+')
  const [y] = g.emit('Concat', xs, [{ shape, dtype: xs[0].dtype }], { axis: attr.int(a) })
  g.record({ op: 'Concat', inputs: xs, outputs: [y], params: { axis: a, sizes } })
  return y
}

export function split(g: Graph, x: Value, axis: number, sizes: number[]): Value[] {
  const a = normAxis(axis, x.shape.length)
  return g.emit(
    'Split',
    [x, g.constant(sizes, [sizes.length], 'int64')],
    sizes.map((s) => ({ shape: x.shape.map((d, i) => (i === a ? s : d)), dtype: x.dtype })),
    { axis: attr.int(a) }
  )
}

/** Static slice: starts/ends/axes as numbers (steps 1). */
export function slice(g: Graph, x: Value, starts: number[], ends: number[], axes: number[]): Value {
  const shape = [...x.shape]
  axes.forEach((a, i) => {
    const d = shape[a]
    if (typeof d !== 'number') throw new Error('slice: static dims only')
    const s = Math.max(0, starts[i] < 0 ? d + starts[i] : starts[i])
    const e = Math.min(d, ends[i] < 0 ? d + ends[i] : ends[i])
    shape[a] = e - s
  })
  const c = (v: number[]) => g.constant(v, [v.length], 'int64')
  const [y] = g.emit('Slice', [x, c(starts), c(ends), c(axes)], [{ shape, dtype: x.dtype }])
  return y
}

/** Broadcasts `x` to a static shape. */
export function expand(g: Graph, x: Value, shape: number[]): Value {
  const [y] = g.emit('Expand', [x, g.constant(shape, [shape.length], 'int64')], [{ shape, dtype: x.dtype }])
  return y
}

export function unsqueeze(g: Graph, x: Value, axes: number[]): Value {
  const rank = x.shape.length + axes.length
  const norm = axes.map((a) => normAxis(a, rank))
  const shape: Shape = []
  let j = 0
  for (let i = 0; i < rank; i++) shape.push(norm.includes(i) ? 1 : x.shape[j++])
  const [y] = g.emit('Unsqueeze', [x, g.constant(norm, [norm.length], 'int64')], [{ shape, dtype: x.dtype }])
  return y
}
