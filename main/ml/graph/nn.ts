/**
 * Neural-network ops over NCHW tensors: convolution, pooling, dropout and batch normalisation, with
 * static output shapes. Training-mode batch normalisation is one tape entry over several ONNX nodes so
 * that autodiff can use its closed-form gradient.
 */
import { attr, type Attr, type Graph, type Value } from './graph'
import * as op from './ops'
import { windowOut } from './shapes'

export interface ConvOptions {
  strides?: [number, number]
  /** [top, left, bottom, right] */
  pads?: [number, number, number, number]
  group?: number
  dilations?: [number, number]
}

function convAttrs(kernel: [number, number], o: ConvOptions): Record<string, Attr> {
  const attrs: Record<string, Attr> = { kernel_shape: attr.ints(kernel) }
  if (o.strides) attrs.strides = attr.ints(o.strides)
  if (o.pads) attrs.pads = attr.ints(o.pads)
  if (o.group && o.group !== 1) attrs.group = attr.int(o.group)
  if (o.dilations) attrs.dilations = attr.ints(o.dilations)
  return attrs
}

/** 2-D convolution: x [N, Ci, H, W], w [Co, Ci/group, kh, kw], b [Co]. */
export function conv(g: Graph, x: Value, w: Value, b: Value | null, o: ConvOptions = {}): Value {
  const [, , kh, kw] = w.shape as number[]
  const [sh, sw] = o.strides ?? [1, 1]
  const [pt, pl, pb, pr] = o.pads ?? [0, 0, 0, 0]
  const [dh, dw] = o.dilations ?? [1, 1]
  const shape = [x.shape[0], w.shape[0], windowOut(x.shape[2], kh, sh, pt, pb, dh), windowOut(x.shape[3], kw, sw, pl, pr, dw)]
  const inputs = b ? [x, w, b] : [x, w]
  const [y] = g.emit('Conv', inputs, [{ shape, dtype: x.dtype }], convAttrs([kh, kw], o))
  g.record({ op: 'Conv', inputs, outputs: [y], params: convParams(o) })
  return y
}

/** [N, Co, Ho, Wo] of a convolution. */
export function convOutputShape(x: Value, w: Value, o: ConvOptions): number[] {
  const [, , kh, kw] = w.shape as number[]
  const [sh, sw] = o.strides ?? [1, 1]
  const [pt, pl, pb, pr] = o.pads ?? [0, 0, 0, 0]
  const [dh, dw] = o.dilations ?? [1, 1]
  return [x.shape[0], w.shape[0], windowOut(x.shape[2], kh, sh, pt, pb, dh), windowOut(x.shape[3], kw, sw, pl, pr, dw)] as number[]
}

/** The parameters a Conv tape entry carries (all explicit). */
export function convParams(o: ConvOptions): Record<string, unknown> {
  return { strides: o.strides ?? [1, 1], pads: o.pads ?? [0, 0, 0, 0], group: o.group ?? 1, dilations: o.dilations ?? [1, 1] }
}

/** Transposed convolution (not on the tape: used by gradients). w [Ci, Co/group, kh, kw]. */
export function convTranspose(
  g: Graph,
  x: Value,
  w: Value,
  o: ConvOptions & { outputPadding?: [number, number] },
  outShape: number[]
): Value {
  const [, , kh, kw] = w.shape as number[]
  const attrs = convAttrs([kh, kw], o)
  if (o.outputPadding && (o.outputPadding[0] || o.outputPadding[1])) attrs.output_padding = attr.ints(o.outputPadding)
  const [y] = g.emit('ConvTranspose', [x, w], [{ shape: outShape, dtype: x.dtype }], attrs)
  return y
}

export interface PoolOptions {
  kernel: [number, number]
  strides?: [number, number]
  pads?: [number, number, number, number]
}

function poolShape(x: Value, o: PoolOptions) {
  const [kh, kw] = o.kernel
  const [sh, sw] = o.strides ?? o.kernel
  const [pt, pl, pb, pr] = o.pads ?? [0, 0, 0, 0]
  return {
    shape: [x.shape[0], x.shape[1], windowOut(x.shape[2], kh, sh, pt, pb), windowOut(x.shape[3], kw, sw, pl, pr)],
    attrs: { kernel_shape: attr.ints([kh, kw]), strides: attr.ints([sh, sw]), pads: attr.ints([pt, pl, pb, pr]) },
    params: { kernel: [kh, kw], strides: [sh, sw], pads: [pt, pl, pb, pr] }
  }
}

/**
 * Max pooling. Tiled windows (kernel = stride, no padding) record nothing extra: their gradient is
 * recomputed from a mask (see autodiff). Other windows output the argmax indices, while recording, for a
 * scatter-add gradient. onnxruntime's MaxPool with indices is several times slower than without.
 */
export function maxPool(g: Graph, x: Value, o: PoolOptions): Value {
  const { shape, attrs, params } = poolShape(x, o)
  const tiled = params.kernel.every((k, i) => k === params.strides[i]) && params.pads.every((p) => p === 0)
  if (!g.recording || tiled) {
    const [y] = g.emit('MaxPool', [x], [{ shape, dtype: x.dtype }], attrs)
    g.record({ op: 'MaxPool', inputs: [x], outputs: [y], params })
    return y
  }
  const [y, indices] = g.emit('MaxPool', [x], [{ shape, dtype: x.dtype }, { shape, dtype: 'int64' }], attrs)
  g.record({ op: 'MaxPool', inputs: [x], outputs: [y], params: { ...params, indices } })
  return y
}

/** Average pooling; padded cells are not counted (ONNX's default, count_include_pad = 0). */
export function averagePool(g: Graph, x: Value, o: PoolOptions): Value {
  const { shape, attrs, params } = poolShape(x, o)
  const [y] = g.emit('AveragePool', [x], [{ shape, dtype: x.dtype }], attrs)
  g.record({ op: 'AveragePool', inputs: [x], outputs: [y], params })
  return y
}

export function globalAveragePool(g: Graph, x: Value): Value {
  const [y] = g.emit('GlobalAveragePool', [x], [{ shape: [x.shape[0], x.shape[1], 1, 1], dtype: x.dtype }])
  g.record({ op: 'GlobalAveragePool', inputs: [x], outputs: [y], params: {} })
  return y
}

/** Inverted dropout with a fresh random mask per run (ORT's generator, seeded per session). */
export function dropout(g: Graph, x: Value, ratio: number, seed: number): Value {
  const [y, mask] = g.emit(
    'Dropout',
    [x, g.scalar(ratio), g.constant([1], [], 'bool')],
    [
      { shape: x.shape, dtype: x.dtype },
      { shape: x.shape, dtype: 'bool' }
    ],
    { seed: attr.int(seed) }
  )
  g.record({ op: 'Dropout', inputs: [x], outputs: [y], params: { ratio, mask } })
  return y
}

/** Reduction axes of batch normalisation: every axis but the channel axis 1. */
export function bnAxes(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)]
}

/** Inference-mode batch normalisation (running statistics). */
export function batchNormInference(g: Graph, x: Value, scale: Value, bias: Value, mean: Value, variance: Value, epsilon: number): Value {
  const [y] = g.emit('BatchNormalization', [x, scale, bias, mean, variance], [{ shape: x.shape, dtype: x.dtype }], {
    epsilon: attr.float(epsilon)
  })
  return y
}

/**
 * Per-channel sums of x [N, C, ...] (or of its squares) over every axis but the channel axis, as [C],
 * times `factor`. Each (sample, channel) row is reduced first, where it is contiguous, and the per-sample
 * partial sums are added in float64. onnxruntime's one-pass reductions over axes [0, 2, 3] accumulate
 * far less accurately: its ReduceSumSquare over 32×16×64×64 was off by 3e-5 relative (measured), enough
 * to flip near-tied max-pool windows after a batch norm and so send gradients to other cells (PyTorch
 * accumulates batch-norm sums in double). Measured also faster than the one-pass reductions.
 */
export function channelSums(g: Graph, x: Value, kind: 'ReduceSum' | 'ReduceSumSquare', factor = 1): Value {
  const [n, c, ...spatial] = x.shape as number[]
  const rows = spatial.reduce((a, b) => a * b, 1)
  const partial = op.reduce(g, kind, op.reshape(g, x, [n, c, rows]), [2], false)
  const total = op.reduceSum(g, op.cast(g, partial, 'float64'), [0], false)
  return op.cast(g, factor === 1 ? total : op.mul(g, total, g.scalar(factor, 'float64')), 'float32')
}

/** The convolution that produced a batch norm's input, when both are recorded as one tape entry. */
export interface ConvBeforeBatchNorm {
  input: Value
  weight: Value
  /** The Conv tape entry's params (strides, pads, group, dilations). */
  params: Record<string, unknown>
  /** The output's batch mean per channel (convBatchMean): the convolution wrote its output less this. */
  mean: Value
}

/**
 * A bias-free, ungrouped convolution whose only reader is a training-mode batch norm: its output less its
 * batch mean (unrecorded), with what batchNormTrain needs to record the two as one entry.
 */
export function convForBatchNorm(g: Graph, x: Value, w: Value, o: ConvOptions): ConvBeforeBatchNorm & { output: Value } {
  const recording = g.recording
  g.recording = false
  const mean = convBatchMean(g, x, w, o)
  const output = conv(g, x, w, op.neg(g, mean), o)
  g.recording = recording
  return { output, input: x, weight: w, params: convParams(o), mean }
}

/**
 * Convolution (bias-free, ungrouped), training-mode batch norm and tiled max pooling (kernel = stride, no
 * padding), each read only by the next, as one tape entry 'ConvBatchNormMaxPool' (inputs x, w, scale, bias).
 * Max pooling commutes with the batch norm's per-channel map y = γ·(z − μ)/σ + β where γ ≥ 0; so the
 * convolution writes s·(z − μ) with s = sign(γ) (±1: weights and bias times s, exact), the pooling runs
 * on that, and the batch norm (scale s·γ ≥ 0) on the pooled quarter only. Returns the pooled output and
 * the batch mean and biased variance ([C]).
 */
export function convBatchNormMaxPool(
  g: Graph,
  x: Value,
  w: Value,
  scale: Value,
  bias: Value,
  epsilon: number,
  o: ConvOptions,
  [kh, kw]: [number, number]
): { y: Value; mean: Value; variance: Value } {
  const recording = g.recording
  g.recording = false
  const co = w.shape[0] as number
  const sign = op.sub(g, g.scalar(1), op.mul(g, op.cast(g, op.greater(g, g.scalar(0), scale), 'float32'), g.scalar(2)))
  const mean = convBatchMean(g, x, w, o)
  const signedWeight = op.mul(g, w, op.reshape(g, sign, [co, 1, 1, 1]))
  const signed = conv(g, x, signedWeight, op.neg(g, op.mul(g, mean, sign)), o)
  const [n, , h, wd] = signed.shape as number[]
  const count = n * h * wd
  const variance = channelSums(g, signed, 'ReduceSumSquare', 1 / count)
  const [pooled] = g.emit('MaxPool', [signed], [{ shape: [n, co, Math.floor(h / kh), Math.floor(wd / kw)], dtype: x.dtype }], {
    kernel_shape: attr.ints([kh, kw]),
    strides: attr.ints([kh, kw])
  })
  const y = batchNormInference(g, pooled, op.mul(g, scale, sign), bias, g.constant(new Array(co).fill(0), [co]), variance, epsilon)
  g.recording = recording
  g.record({
    op: 'ConvBatchNormMaxPool',
    inputs: [x, w, scale, bias],
    outputs: [y],
    params: { conv: convParams(o), epsilon, count, sign, signedWeight, centred: signed, pooled, variance, kernel: [kh, kw] }
  })
  return { y, mean, variance }
}

/** 0/1 matrix [k, size]: which of `size` input positions tap a (of k) reads for some output position. */
function tapMask(size: number, k: number, stride: number, padBegin: number, dilation: number, out: number): number[] {
  const m = new Array<number>(k * size).fill(0)
  for (let a = 0; a < k; a++) {
    for (let i = 0; i < size; i++) {
      const t = i + padBegin - a * dilation
      if (t >= 0 && t % stride === 0 && t / stride < out) m[a * size + i] = 1
    }
  }
  return m
}

/**
 * The batch mean per output channel of a bias-free, ungrouped convolution, from its input:
 * Σ z[·, co, ·, ·] = Σ_{ci,a,b} w[co, ci, a, b] · T[ci, a, b], where T[ci, a, b] sums x[·, ci] over the cells
 * tap (a, b) reads: the batch sum of x (float32, N terms), then 0/1 row and column masks as matrix
 * products in float64. The convolution can then write its output already centred (bias −μ): no pass over
 * the output for its mean and none to subtract it.
 */
export function convBatchMean(g: Graph, x: Value, w: Value, o: ConvOptions): Value {
  const [n, ci, h, wd] = x.shape as number[]
  const [, , kh, kw] = w.shape as number[]
  const [sh, sw] = o.strides ?? [1, 1]
  const [pt, pl, pb, pr] = o.pads ?? [0, 0, 0, 0]
  const [dh, dw] = o.dilations ?? [1, 1]
  const ho = windowOut(h, kh, sh, pt, pb, dh) as number
  const wo = windowOut(wd, kw, sw, pl, pr, dw) as number
  const rows = g.constant(tapMask(h, kh, sh, pt, dh, ho), [kh, h], 'float64')
  const colMask = tapMask(wd, kw, sw, pl, dw, wo)
  const cols = g.constant(Array.from({ length: wd * kw }, (_, i) => colMask[(i % kw) * wd + Math.floor(i / kw)]), [wd, kw], 'float64')
  const batchSum = op.matMul(g, g.constant(new Array(n).fill(1), [1, n]), op.reshape(g, x, [n, ci * h * wd]))
  const taps = op.matMul(g, op.matMul(g, rows, op.cast(g, op.reshape(g, batchSum, [ci, h, wd]), 'float64')), cols)
  const total = op.reduceSum(g, op.mul(g, op.cast(g, w, 'float64'), taps), [1, 2, 3], false)
  return op.cast(g, op.mul(g, total, g.scalar(1 / (n * ho * wo), 'float64')), 'float32')
}

/**
 * Training-mode batch normalisation over x [N, C, ...]: normalises with the batch's statistics.
 * Returns y and the batch mean and biased variance ([C]) for the running-statistics update.
 * With `conv` (x is that bias-free convolution's output less its batch mean, emitted unrecorded and read
 * by nothing else), the pair is one tape entry 'ConvBatchNormTrain' (inputs: the convolution's input and weight, scale, bias):
 * when the convolution's input needs no gradient (a first layer), its weight gradient then comes
 * without ever forming dL/dx of the batch norm (see autodiff).
 */
export function batchNormTrain(
  g: Graph,
  x: Value,
  scale: Value,
  bias: Value,
  epsilon: number,
  conv?: ConvBeforeBatchNorm
): { y: Value; mean: Value; variance: Value } {
  const recording = g.recording
  g.recording = false
  const axes = bnAxes(x.shape.length)
  const count = axes.reduce((n, a) => n * (x.shape[a] as number), 1)
  const c = x.shape[1] as number
  // With `conv`, x is already the centred output.
  const mean = conv ? conv.mean : channelSums(g, x, 'ReduceSum', 1 / count)
  const keep = [1, c, ...axes.slice(1).map(() => 1)]
  const centred = conv ? x : op.sub(g, x, op.reshape(g, mean, keep))
  const variance = channelSums(g, centred, 'ReduceSumSquare', 1 / count)
  const y = conv ? batchNormInference(g, x, scale, bias, g.constant(new Array(c).fill(0), [c]), variance, epsilon) : batchNormInference(g, x, scale, bias, mean, variance, epsilon)
  g.recording = recording
  const params = { epsilon, axes, count, centred, variance, mean }
  if (conv) g.record({ op: 'ConvBatchNormTrain', inputs: [conv.input, conv.weight, scale, bias], outputs: [y], params: { ...params, conv: conv.params } })
  else g.record({ op: 'BatchNormTrain', inputs: [x, scale, bias], outputs: [y], params })
  return { y, mean, variance }
}
