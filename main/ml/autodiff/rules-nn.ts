/**
 * Gradient rules for convolution, pooling, dropout, batch normalisation and the losses. The backward
 * passes are themselves ONNX ops: ConvTranspose for a convolution's input gradient, a convolution of the
 * input with the output gradient for its weight gradient, MaxUnpool/ScatterElements for max pooling.
 */
import { attr, type Graph, type TapeEntry, type Value } from '../graph/graph'
import * as nn from '../graph/nn'
import * as op from '../graph/ops'
import { windowOut } from '../graph/shapes'
import { param, type GradRule } from './rule'

type Pair = [number, number]
type Quad = [number, number, number, number]

/**
 * dL/dx of a convolution: the transposed convolution of dy with the same weights. With stride 1 and no
 * groups that is a plain convolution of dy with the weights flipped in space and transposed to
 * [Ci, Co, kh, kw], padded by d·(k − 1) − p: onnxruntime's Conv was measured about twice as fast as its
 * ConvTranspose (col2im) on the bench CNN's layers.
 */
function convInputGrad(g: Graph, dy: Value, w: Value, x: Value, strides: Pair, pads: Quad, group: number, dilations: Pair): Value {
  const [, , h, wd] = x.shape as number[]
  const [co, ci, kh, kw] = w.shape as number[]
  const flippedPads = pads.map((p, i) => dilations[i % 2] * ([kh, kw][i % 2] - 1) - p) as Quad
  if (group === 1 && strides[0] === 1 && strides[1] === 1 && flippedPads.every((p) => p >= 0)) {
    // The flip as a product with the k×k reversal matrix (exact: one 1 per column); onnxruntime's Gather
    // took 0.15 ms per layer for these few thousand values.
    const k = kh * kw
    const reversal = new Array<number>(k * k).fill(0)
    for (let i = 0; i < k; i++) reversal[i * k + (k - 1 - i)] = 1
    const flat = op.matMul(g, op.reshape(g, w, [co * ci, k]), g.constant(reversal, [k, k]))
    const flipped = op.transpose(g, op.reshape(g, flat, [co, ci, kh, kw]), [1, 0, 2, 3])
    const [dx] = g.emit('Conv', [dy, flipped], [{ shape: x.shape, dtype: x.dtype }], {
      kernel_shape: attr.ints([kh, kw]),
      pads: attr.ints(flippedPads),
      dilations: attr.ints(dilations)
    })
    return dx
  }
  const [, , ho, wo] = dy.shape as number[]
  const full = (size: number, k: number, s: number, p0: number, p1: number, d: number) => s * (size - 1) + d * (k - 1) + 1 - p0 - p1
  const outputPadding: Pair = [h - full(ho, kh, strides[0], pads[0], pads[2], dilations[0]), wd - full(wo, kw, strides[1], pads[1], pads[3], dilations[1])]
  return nn.convTranspose(g, dy, w, { strides, pads, group, dilations, outputPadding }, x.shape as number[])
}

/**
 * dL/dw of a convolution: w'[co, ci, a, b] = Σ_n,oh,ow dy[n, co, oh, ow] · x[n, ci, oh·s + a − p, ow·s + b − p].
 * The patches x[n, ci, oh·s + a − p, ...] come from one grouped convolution with one-hot kernels
 * (im2col as an ONNX op: [N, ci·kh·kw, Ho, Wo]); a batched matrix product of the patches with dy per
 * sample and group (onnxruntime's FusedMatMul reading dy transposed in place: the smaller operand is the
 * one it repacks, measured 15% faster than patches transposed) and a sum over the batch finish it.
 * Measured about twice as fast as convolving x with dy as the kernel.
 */
function convWeightGrad(g: Graph, dy: Value, x: Value, w: Value, strides: Pair, pads: Quad, group: number, dilations: Pair): Value {
  return weightGradFromPatches(g, dy, im2col(g, x, w, strides, pads, dilations), w, group)
}

/** The patches of x under w's window: [N, ci·kh·kw, Ho, Wo] (a grouped convolution with one-hot kernels). */
function im2col(g: Graph, x: Value, w: Value, strides: Pair, pads: Quad, dilations: Pair): Value {
  const [n, ci] = x.shape as number[]
  const [, , kh, kw] = w.shape as number[]
  const k = kh * kw
  const oneHot = new Float32Array(ci * k * k)
  for (let c = 0; c < ci; c++) for (let j = 0; j < k; j++) oneHot[(c * k + j) * k + j] = 1
  const kernel = g.initializer(g.fresh('im2col_kernel'), oneHot, [ci * k, 1, kh, kw])
  const ho = windowOut(x.shape[2], kh, strides[0], pads[0], pads[2], dilations[0])
  const wo = windowOut(x.shape[3], kw, strides[1], pads[1], pads[3], dilations[1])
  const [patches] = g.emit('Conv', [x, kernel], [{ shape: [n, ci * k, ho, wo], dtype: x.dtype }], {
    kernel_shape: attr.ints([kh, kw]),
    strides: attr.ints(strides),
    pads: attr.ints(pads),
    dilations: attr.ints(dilations),
    group: attr.int(ci)
  })
  return patches
}

/** Σ over the batch and output cells of dy ⊗ patches, as w's shape. */
function weightGradFromPatches(g: Graph, dy: Value, patches: Value, w: Value, group: number): Value {
  const [n] = dy.shape as number[]
  const [co, cig, kh, kw] = w.shape as number[]
  const [, , ho, wo] = dy.shape as number[]
  const k = kh * kw
  const s = ho * wo
  const p4 = op.reshape(g, patches, [n, group, cig * k, s])
  const d4 = op.reshape(g, dy, [n, group, co / group, s])
  const [perSample] = g.emit('FusedMatMul', [p4, d4], [{ shape: [n, group, cig * k, co / group], dtype: dy.dtype }], { transB: attr.int(1) }, 'com.microsoft')
  // The batch sum as a product with ones: onnxruntime's ReduceSum over axis 0 was measured several times slower.
  const ones = g.constant(new Array(n).fill(1), [1, n])
  const summed = op.reshape(g, op.matMul(g, ones, op.reshape(g, perSample, [n, group * cig * k * (co / group)])), [group, cig * k, co / group])
  return op.reshape(g, op.transpose(g, summed, [0, 2, 1]), [co, cig, kh, kw])
}

/** Per-output-cell 1/count for average pooling without counting padded cells. */
function poolCounts(h: number, w: number, ho: number, wo: number, k: Pair, s: Pair, p: Quad): Float32Array {
  const out = new Float32Array(ho * wo)
  for (let i = 0; i < ho; i++) {
    const r0 = Math.max(0, i * s[0] - p[0])
    const r1 = Math.min(h, i * s[0] - p[0] + k[0])
    for (let j = 0; j < wo; j++) {
      const c0 = Math.max(0, j * s[1] - p[1])
      const c1 = Math.min(w, j * s[1] - p[1] + k[1])
      out[i * wo + j] = 1 / ((r1 - r0) * (c1 - c0))
    }
  }
  return out
}

/**
 * Max pooling with kernel = stride and no padding: each input cell lies in one window, so dx is the
 * upsampled dy where x equals its window's maximum (tied maxima share it, where PyTorch gives it to the
 * first; ties essentially never happen on batch-normalised activations). y and dy are widened by a matrix
 * product with a 0/1 matrix (and broadcast over each window's rows where those are wide): measured faster
 * than onnxruntime's MaxPool with indices followed by MaxUnpool, and than Resize or SpaceToDepth.
 */
function tiledMaxPoolGrad(g: Graph, x: Value, y: Value, dy: Value, [kh, kw]: Pair): Value {
  const [n, c, h, w] = x.shape as number[]
  const [, , ho, wo] = y.shape as number[]
  const rows = n * c * ho
  const span = wo * kw
  // y and dy are widened to [rows, 1, W], the kh rows of each window then broadcasting against them (no
  // copy), or for rows of W ≤ 32 to [rows, kh, W]: onnxruntime broadcasts span by span, and Equal and Mul
  // over spans of 8 to 32 floats were measured 1.4 to 4 times slower than without broadcasting (the
  // larger product costs less than that; at W = 64 it costs more).
  const tall = span <= 32 ? kh : 1
  const spread = new Float32Array(wo * tall * span)
  for (let j = 0; j < wo; j++) for (let r = 0; r < tall; r++) for (let t = 0; t < kw; t++) spread[(j * tall + r) * span + j * kw + t] = 1
  const widen = g.initializer(g.fresh('pool_widen'), spread, [wo, tall * span])
  const wide = (v: Value) =>
    op.reshape(g, kw === 1 && tall === 1 ? op.reshape(g, v, [rows, wo]) : op.matMul(g, op.reshape(g, v, [rows, wo]), widen), [rows, tall, span])
  const covered = ho * kh === h && wo * kw === w ? x : op.slice(g, x, [0, 0], [ho * kh, wo * kw], [2, 3])
  const windows = op.reshape(g, covered, [rows, kh, wo * kw])
  const [isMax] = g.emit('Equal', [windows, wide(y)], [{ shape: windows.shape, dtype: 'bool' }])
  // A cast mask times dy: measured cheaper than Where on onnxruntime's CPU.
  const dx = op.reshape(g, op.mul(g, op.cast(g, isMax, 'float32'), wide(dy)), [n, c, ho * kh, wo * kw])
  if (covered === x) return dx
  const [padded] = g.emit('Pad', [dx, g.constant([0, 0, 0, 0, 0, 0, h - ho * kh, w - wo * kw], [8], 'int64')], [{ shape: [n, c, h, w], dtype: x.dtype }])
  return padded
}

/**
 * Batch normalisation's backward pass: dx = a·dy + b·x̂ + c per channel, with a = γ/σ, b = −a·Σ(dy·x̂)/n,
 * c = −a·Σdy/n (here b multiplies x − μ, so it carries one more 1/σ). dx is formed on request: b·(x − μ) + c
 * in one pass as an inference-mode BatchNormalization of the centred x (mean 0, variance 0.75 and ε 0.25:
 * exactly 1 together in any precision). Channel sums as in the forward pass (accurate, see nn.channelSums).
 */
function batchNormGrad(g: Graph, e: TapeEntry, dy: Value) {
  const scale = e.inputs[e.op === 'ConvBatchNormTrain' ? 2 : 1]
  const centred = param<Value>(e, 'centred')
  const invStd = op.reciprocal(g, op.sqrt(g, op.add(g, param<Value>(e, 'variance'), g.scalar(param<number>(e, 'epsilon')))))
  const dBias = nn.channelSums(g, dy, 'ReduceSum')
  // Σ dy·x̂ = invStd · Σ dy·(x − μ)
  const dScale = op.mul(g, nn.channelSums(g, op.mul(g, dy, centred), 'ReduceSum'), invStd)
  return batchNormCoefficients(g, scale, invStd, dScale, dBias, param<number>(e, 'count'), dy, centred)
}

/** a, b, c of dx = a·dy + b·(x − μ) + c from the channel sums, and dx itself on request. */
function batchNormCoefficients(g: Graph, scale: Value, invStd: Value, dScale: Value, dBias: Value, count: number, dy: Value, centred: Value) {
  const c = centred.shape[1] as number
  const a = op.mul(g, scale, invStd)
  const aOverN = op.mul(g, a, g.scalar(-1 / count))
  const bCoef = op.mul(g, op.mul(g, aOverN, dScale), invStd)
  const cCoef = op.mul(g, aOverN, dBias)
  const dx = () => {
    const shaped = (v: Value) => op.reshape(g, v, [1, c, ...centred.shape.slice(2).map(() => 1)])
    const affine = nn.batchNormInference(g, centred, bCoef, cCoef, g.constant(new Array(c).fill(0), [c]), g.constant(new Array(c).fill(0.75), [c]), 0.25)
    return op.add(g, op.mul(g, dy, shaped(a)), affine)
  }
  return { dScale, dBias, a, bCoef, cCoef, dx }
}

/**
 * dL/dx and dL/dw of the bias-free convolution feeding a batch norm, given dy (dL/d of the batch norm's
 * output) and its coefficients. When x needs no gradient (the first layer, reading data), dL/dw is
 * Σ (a·dy + b·(z − μ) + c) ⊗ patches = a·(Σ dy ⊗ patches) + b·(Σ (z − μ) ⊗ patches) + c·(Σ patches)
 * per output channel: two products with the patches and a sum, instead of forming dL/dz, three passes
 * over the largest activation of the network.
 */
function convGradsBeforeBatchNorm(
  g: Graph,
  e: TapeEntry,
  x: Value,
  w: Value,
  dy: Value,
  centred: Value,
  bn: ReturnType<typeof batchNormCoefficients>,
  needs: boolean[]
): [Value | null, Value | null] {
  const c = param<Record<string, unknown>>(e, 'conv')
  const [st, pads, group, dil] = [c.strides as Pair, c.pads as Quad, c.group as number, c.dilations as Pair]
  if (needs[0]) {
    const dz = bn.dx()
    return [convInputGrad(g, dz, w, x, st, pads, group, dil), needs[1] ? convWeightGrad(g, dz, x, w, st, pads, group, dil) : null]
  }
  if (!needs[1]) return [null, null]
  const [n] = x.shape as number[]
  const co = w.shape[0] as number
  const patches = im2col(g, x, w, st, pads, dil)
  const perChannel = (v: Value) => op.reshape(g, v, [co, 1, 1, 1])
  const fromDy = op.mul(g, weightGradFromPatches(g, dy, patches, w, group), perChannel(bn.a))
  const fromCentred = op.mul(g, weightGradFromPatches(g, centred, patches, w, group), perChannel(bn.bCoef))
  // Σ patches over the batch and output cells: row sums, then the batch as a product with ones.
  const [, pk, ph, pw] = patches.shape as number[]
  const rowSums = op.reduceSum(g, op.reshape(g, patches, [n, pk, ph * pw]), [2], false)
  const patchSums = op.reshape(g, op.matMul(g, g.constant(new Array(n).fill(1), [1, n]), rowSums), [1, ...(w.shape as number[]).slice(1)])
  return [null, op.add(g, op.add(g, fromDy, fromCentred), op.mul(g, perChannel(bn.cCoef), patchSums))]
}

export const nnRules: Record<string, GradRule> = {
  Conv: (g, e, [dy], needs) => {
    const [x, w, b] = e.inputs
    const strides = param<Pair>(e, 'strides')
    const pads = param<Quad>(e, 'pads')
    const group = param<number>(e, 'group')
    const dilations = param<Pair>(e, 'dilations')
    const grads: (Value | null)[] = [
      needs[0] ? convInputGrad(g, dy!, w, x, strides, pads, group, dilations) : null,
      needs[1] ? convWeightGrad(g, dy!, x, w, strides, pads, group, dilations) : null
    ]
    if (b) grads.push(needs[2] ? op.reduceSum(g, dy!, [0, 2, 3], false) : null)
    return grads
  },

  MaxPool: (g, e, [dy]) => {
    const x = e.inputs[0]
    if (e.params.indices === undefined) return [tiledMaxPoolGrad(g, x, e.outputs[0], dy!, param<Pair>(e, 'kernel'))]
    const indices = param<Value>(e, 'indices')
    const kernel = param<Pair>(e, 'kernel')
    const strides = param<Pair>(e, 'strides')
    const pads = param<Quad>(e, 'pads')
    const shape = x.shape as number[]
    const overlapping = kernel[0] > strides[0] || kernel[1] > strides[1]
    if (!overlapping && pads.every((p) => p === 0)) {
      // Windows do not overlap: every input cell receives at most one gradient.
      const [dx] = g.emit('MaxUnpool', [dy!, indices, g.constant(shape, [4], 'int64')], [{ shape, dtype: x.dtype }], {
        kernel_shape: attr.ints(kernel),
        strides: attr.ints(strides)
      })
      return [dx]
    }
    const total = shape.reduce((a, c) => a * c, 1)
    const zeros = g.emit('ConstantOfShape', [g.constant([total], [1], 'int64')], [{ shape: [total], dtype: x.dtype }])[0]
    const flatIdx = op.reshape(g, indices, [-1])
    const flatDy = op.reshape(g, dy!, [-1])
    const [scattered] = g.emit('ScatterElements', [zeros, flatIdx, flatDy], [{ shape: [total], dtype: x.dtype }], {
      axis: attr.int(0),
      reduction: attr.string('add')
    })
    return [op.reshape(g, scattered, shape)]
  },

  AveragePool: (g, e, [dy]) => {
    const x = e.inputs[0]
    const kernel = param<Pair>(e, 'kernel')
    const strides = param<Pair>(e, 'strides')
    const pads = param<Quad>(e, 'pads')
    const [, c, h, w] = x.shape as number[]
    const [, , ho, wo] = dy!.shape as number[]
    const inv = poolCounts(h, w, ho, wo, kernel, strides, pads)
    const uniform = inv.every((v) => v === inv[0])
    const scaled = uniform ? dy! : op.mul(g, dy!, g.initializer(g.fresh('pool_inv_count'), inv, [1, 1, ho, wo]))
    const ones = new Float32Array(c * kernel[0] * kernel[1]).fill(uniform ? inv[0] : 1)
    const kernelValue = g.initializer(g.fresh('pool_spread'), ones, [c, 1, kernel[0], kernel[1]])
    return [convInputGrad(g, scaled, kernelValue, x, strides, pads, c, [1, 1])]
  },

  GlobalAveragePool: (g, e, [dy]) => {
    const x = e.inputs[0]
    const [, , h, w] = x.shape as number[]
    const spread = g.initializer(g.fresh('gap_spread'), new Float32Array(h * w).fill(1 / (h * w)), [1, 1, h, w])
    return [op.mul(g, dy!, spread)]
  },

  Dropout: (g, e, [dy]) => {
    const mask = param<Value>(e, 'mask')
    const ratio = param<number>(e, 'ratio')
    return [op.where(g, mask, op.mul(g, dy!, g.scalar(1 / (1 - ratio))), g.scalar(0))]
  },

  BatchNormTrain: (g, e, [dy], needs) => {
    const bn = batchNormGrad(g, e, dy!)
    return [needs[0] ? bn.dx() : null, needs[1] ? bn.dScale : null, needs[2] ? bn.dBias : null]
  },

  /** A bias-free convolution followed by batch normalisation (inputs x, w, scale, bias). */
  ConvBatchNormTrain: (g, e, [dy], needs) => {
    const [x, w] = e.inputs
    const bn = batchNormGrad(g, e, dy!)
    const [dx, dw] = convGradsBeforeBatchNorm(g, e, x, w, dy!, param<Value>(e, 'centred'), bn, needs)
    return [dx, dw, needs[2] ? bn.dScale : null, needs[3] ? bn.dBias : null]
  },

  /**
   * Convolution, batch norm and tiled max pooling (nn.convBatchNormMaxPool: the convolution wrote
   * s·(z − μ) with s = sign(γ), pooled before the batch norm's affine map). dL/d(BN output) is the pooled
   * gradient sent to each window's maximum; its two channel sums are taken on the pooled grid instead
   * (Σ dy = Σ dy_pooled, Σ dy·s(z − μ) = Σ dy_pooled·pooled): no full-size pass for them. These count one
   * maximum per window, as PyTorch does; where maxima tie exactly the mask still sends dy to each (see
   * tiledMaxPoolGrad). Then as ConvBatchNormTrain with γ' = s·γ and weights s·w (gradients times s back).
   */
  ConvBatchNormMaxPool: (g, e, [dyp], needs) => {
    const [x, w, scale] = e.inputs
    const sign = param<Value>(e, 'sign')
    const signed = param<Value>(e, 'centred')
    const pooled = param<Value>(e, 'pooled')
    const dy = tiledMaxPoolGrad(g, signed, pooled, dyp!, param<Pair>(e, 'kernel'))
    const dBias = nn.channelSums(g, dyp!, 'ReduceSum')
    const invStd = op.reciprocal(g, op.sqrt(g, op.add(g, param<Value>(e, 'variance'), g.scalar(param<number>(e, 'epsilon')))))
    const dScaleSigned = op.mul(g, nn.channelSums(g, op.mul(g, dyp!, pooled), 'ReduceSum'), invStd)
    const bn = batchNormCoefficients(g, op.mul(g, scale, sign), invStd, dScaleSigned, dBias, param<number>(e, 'count'), dy, signed)
    const [dx, dwSigned] = convGradsBeforeBatchNorm(g, e, x, param<Value>(e, 'signedWeight'), dy, signed, bn, needs)
    const co = w.shape[0] as number
    const dw = dwSigned && op.mul(g, dwSigned, op.reshape(g, sign, [co, 1, 1, 1]))
    return [dx, dw, needs[2] ? op.mul(g, dScaleSigned, sign) : null, needs[3] ? dBias : null]
  },

  SoftmaxCrossEntropy: (g, e, [dl], needs) => {
    const [, target] = e.inputs
    const probs = op.exp(g, param<Value>(e, 'logp'))
    const rowWeight = op.reduceSum(g, target, [-1], true)
    let d = op.sub(g, op.mul(g, probs, rowWeight), target)
    if (dl) d = op.mul(g, d, dl)
    return [needs[0] ? d : null, null]
  },

  SigmoidBinaryCrossEntropy: (g, e, [dl], needs) => {
    const [x, a, b] = e.inputs
    // d/dx [a·x + b·softplus(−x)] = a − b·σ(−x)
    let d = op.sub(g, a, op.mul(g, b, op.sigmoid(g, op.neg(g, x))))
    if (dl) d = op.mul(g, d, dl)
    return [needs[0] ? d : null, null, null]
  },

  SquaredError: (g, e, [dl], needs) => {
    // Targets and weights are data: only the prediction gets a gradient.
    const weight = e.inputs[2]
    const diff = param<Value>(e, 'diff')
    let d = op.mul(g, op.mul(g, diff, weight), g.scalar(2))
    if (dl) d = op.mul(g, d, dl)
    return [needs[0] ? d : null, null, null]
  }
}
