/**
 * Every differentiable op's gradient against central finite differences (eps = 1e-2, float32 forward,
 * objective Σ y·r summed in float64). Bound: max |analytic − numeric| ≤ 2e-3 × max(max |numeric|, 1e-2)
 * for every input element. Inputs to kinked ops (ReLU, max pooling) stay well away from their kinks.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Graph, Value } from '../../../main/ml/graph/graph'
import * as losses from '../../../main/ml/graph/losses'
import * as nn from '../../../main/ml/graph/nn'
import * as op from '../../../main/ml/graph/ops'
import { gradCheck, randomData, type CheckInput } from './grad-check'

const BOUND = 2e-3

const input = (name: string, shape: number[], seed: number, o: { lo?: number; hi?: number; diff?: boolean } = {}): CheckInput => ({
  name,
  shape,
  data: randomData(
    shape.reduce((a, b) => a * b, 1),
    seed,
    o.lo ?? -1,
    o.hi ?? 1
  ),
  diff: o.diff
})

/** Values at least 0.1 away from zero (ReLU-style kinks at 0). */
function awayFromZero(i: CheckInput): CheckInput {
  return { ...i, data: i.data.map((v) => (v >= 0 ? 0.1 + v : -0.1 + v)) }
}

/** A permutation of well-separated values (max pooling: no ties, argmax stable under ±eps). */
function distinct(i: CheckInput, seed: number): CheckInput {
  const n = i.data.length
  const order = Array.from({ length: n }, (_, k) => k)
  const r = randomData(n, seed)
  order.sort((a, b) => r[a] - r[b])
  const data = new Float32Array(n)
  order.forEach((k, rank) => (data[k] = (rank - n / 2) * 0.05))
  return { ...i, data }
}

async function check(inputs: CheckInput[], build: (g: Graph, v: Value[]) => Value) {
  const r = await gradCheck(inputs, build)
  if (process.env.GRAD_REPORT) console.log(Object.entries(r.errors).map(([k, v]) => `${k}: ${v.toExponential(1)} (max |g| ${Math.max(...r.numeric[k].map(Math.abs)).toFixed(3)})`).join(', '))
  for (const [name, err] of Object.entries(r.errors)) assert.ok(err <= BOUND, `gradient of ${name}: relative error ${err.toExponential(2)} > ${BOUND}`)
  return r
}

describe('gradients match finite differences', () => {
  it('MatMul (2-D and batched with broadcasting)', async () => {
    await check([input('a', [3, 4], 1), input('b', [4, 5], 2)], (g, [a, b]) => op.matMul(g, a, b))
    await check([input('a', [2, 3, 4], 3), input('b', [4, 2], 4)], (g, [a, b]) => op.matMul(g, a, b))
  })

  it('Gemm with transposes, alpha, beta and a broadcast bias', async () => {
    for (const [transA, transB] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true]
    ]) {
      const a = input('a', transA ? [4, 3] : [3, 4], 5)
      const b = input('b', transB ? [5, 4] : [4, 5], 6)
      await check([a, b, input('c', [5], 7)], (g, [x, y, c]) => op.gemm(g, x, y, c, { transA, transB, alpha: 0.7, beta: 1.3 }))
    }
  })

  it('Add, Sub, Mul, Div with broadcasting; a value used twice', async () => {
    const a = input('a', [2, 3, 4], 8)
    const b = input('b', [3, 1], 9, { lo: 0.5, hi: 1.5 })
    await check([a, b], (g, [x, y]) => op.add(g, x, y))
    await check([a, b], (g, [x, y]) => op.sub(g, x, y))
    await check([a, b], (g, [x, y]) => op.mul(g, x, y))
    await check([a, b], (g, [x, y]) => op.div(g, x, y))
    await check([a], (g, [x]) => op.mul(g, x, op.tanh(g, x)))
  })

  it('Relu, LeakyRelu, Sigmoid, Tanh', async () => {
    const x = awayFromZero(input('x', [4, 6], 10))
    await check([x], (g, [v]) => op.relu(g, v))
    await check([x], (g, [v]) => op.leakyRelu(g, v, 0.1))
    await check([input('x', [4, 6], 11, { lo: -3, hi: 3 })], (g, [v]) => op.sigmoid(g, v))
    await check([input('x', [4, 6], 12, { lo: -2, hi: 2 })], (g, [v]) => op.tanh(g, v))
  })

  it('Softmax and LogSoftmax', async () => {
    const x = input('x', [3, 7], 13, { lo: -2, hi: 2 })
    await check([x], (g, [v]) => op.softmax(g, v, -1))
    await check([x], (g, [v]) => op.logSoftmax(g, v, -1))
    await check([input('x', [2, 5, 3], 14)], (g, [v]) => op.softmax(g, v, 1))
  })

  it('Conv: stride 1 with padding, bias', async () => {
    await check([input('x', [2, 3, 6, 6], 15), input('w', [4, 3, 3, 3], 16), input('b', [4], 17)], (g, [x, w, b]) =>
      nn.conv(g, x, w, b, { pads: [1, 1, 1, 1] })
    )
  })

  it('Conv: stride 2, padding 1, groups 3 (grouped), odd input', async () => {
    await check([input('x', [2, 6, 7, 7], 18), input('w', [6, 2, 3, 3], 19), input('b', [6], 20)], (g, [x, w, b]) =>
      nn.conv(g, x, w, b, { strides: [2, 2], pads: [1, 1, 1, 1], group: 3 })
    )
  })

  it('Conv: depthwise, stride 2, no padding, rows left over at the edge', async () => {
    await check([input('x', [2, 4, 8, 8], 21), input('w', [4, 1, 3, 3], 22)], (g, [x, w]) => nn.conv(g, x, w, null, { strides: [2, 2], group: 4 }))
  })

  it('Conv: rectangular kernel, asymmetric stride and padding', async () => {
    await check([input('x', [1, 2, 7, 6], 23), input('w', [3, 2, 3, 2], 24)], (g, [x, w]) =>
      nn.conv(g, x, w, null, { strides: [2, 1], pads: [1, 0, 2, 1] })
    )
  })

  it('Conv: stride 1, rectangular dilated kernel, asymmetric padding (input gradient as a flipped-kernel convolution)', async () => {
    await check([input('x', [2, 3, 7, 8], 52), input('w', [4, 3, 3, 2], 53)], (g, [x, w]) =>
      nn.conv(g, x, w, null, { pads: [2, 0, 1, 1], dilations: [2, 1] })
    )
  })

  it('MaxPool: tiled 2×2 and 3×2 (mask path, odd edge left over) and 3×3 stride 2 padded (overlapping, scatter path)', async () => {
    await check([distinct(input('x', [2, 3, 6, 6], 25), 26)], (g, [x]) => nn.maxPool(g, x, { kernel: [2, 2] }))
    await check([distinct(input('x', [2, 2, 7, 5], 50), 51)], (g, [x]) => nn.maxPool(g, x, { kernel: [3, 2] }))
    await check([distinct(input('x', [2, 2, 7, 7], 27), 28)], (g, [x]) => nn.maxPool(g, x, { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }))
  })

  it('AveragePool (padding not counted) and GlobalAveragePool', async () => {
    await check([input('x', [2, 3, 6, 6], 29)], (g, [x]) => nn.averagePool(g, x, { kernel: [2, 2] }))
    await check([input('x', [2, 2, 7, 7], 30)], (g, [x]) => nn.averagePool(g, x, { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }))
    await check([input('x', [2, 3, 5, 4], 31)], (g, [x]) => nn.globalAveragePool(g, x))
  })

  it('Flatten, Reshape, Transpose, Concat', async () => {
    const x = input('x', [2, 3, 2, 2], 32)
    await check([x], (g, [v]) => op.tanh(g, op.flatten(g, v, 1)))
    await check([x], (g, [v]) => op.tanh(g, op.reshape(g, v, [2, 6, 2])))
    await check([x], (g, [v]) => op.tanh(g, op.transpose(g, v, [0, 2, 3, 1])))
    await check([x, input('y', [2, 5, 2, 2], 33)], (g, [a, b]) => op.tanh(g, op.concat(g, [a, b], 1)))
  })

  it('ReduceSum and ReduceMean', async () => {
    const x = input('x', [2, 3, 4], 34)
    await check([x], (g, [v]) => op.reduceSum(g, v, [1], true))
    await check([x], (g, [v]) => op.reduceMean(g, v, [0, 2], false))
  })

  it('BatchNormalization in training mode (batch statistics), 4-D and 2-D', async () => {
    await check([input('x', [3, 2, 3, 3], 35, { lo: -2, hi: 3 }), input('scale', [2], 36, { lo: 0.5, hi: 1.5 }), input('bias', [2], 37)], (g, [x, s, b]) =>
      nn.batchNormTrain(g, x, s, b, 1e-5).y
    )
    await check([input('x', [6, 4], 38), input('scale', [4], 39, { lo: 0.5, hi: 1.5 }), input('bias', [4], 40)], (g, [x, s, b]) =>
      nn.batchNormTrain(g, x, s, b, 1e-3).y
    )
  })

  it('Convolution recorded with the batch norm it feeds: weight gradient without dL/dx (first layer) and with it', async () => {
    const convThenBatchNorm = (o: nn.ConvOptions) => (g: Graph, [x, w, s, b]: Value[]) => {
      const conv = nn.convForBatchNorm(g, x, w, o)
      return nn.batchNormTrain(g, conv.output, s, b, 1e-5, conv).y
    }
    const scale = input('scale', [3], 56, { lo: 0.5, hi: 1.5 })
    const bias = input('bias', [3], 57)
    await check([input('x', [3, 2, 6, 5], 54, { lo: 0, hi: 1, diff: false }), input('w', [3, 2, 3, 3], 55), scale, bias], convThenBatchNorm({ pads: [1, 1, 1, 1] }))
    await check([input('x', [3, 2, 7, 6], 58, { lo: 0, hi: 1, diff: false }), input('w', [3, 2, 3, 2], 59), scale, bias], convThenBatchNorm({ pads: [2, 0, 1, 1], dilations: [2, 1] }))
    await check([input('x', [3, 2, 6, 5], 60), input('w', [3, 2, 3, 3], 61), scale, bias], convThenBatchNorm({ pads: [1, 1, 1, 1] }))
    await check([input('x', [3, 2, 7, 7], 62), input('w', [3, 2, 3, 3], 63), scale, bias], convThenBatchNorm({ strides: [2, 2], pads: [1, 0, 0, 1] }))
  })

  it('Convolution, batch norm and max pooling as one entry (pooled before the affine map; γ of both signs)', async () => {
    const convBatchNormPool = (o: nn.ConvOptions, kernel: [number, number]) => (g: Graph, [x, w, s, b]: Value[]) =>
      nn.convBatchNormMaxPool(g, x, w, s, b, 1e-5, o, kernel).y
    const scale = { ...input('scale', [3], 64, { lo: 0.5, hi: 1.5 }), data: Float32Array.from([0.8, -1.2, 1.1]) }
    const bias = input('bias', [3], 65)
    await check([input('x', [3, 2, 6, 6], 66, { lo: 0, hi: 1, diff: false }), input('w', [3, 2, 3, 3], 67), scale, bias], convBatchNormPool({ pads: [1, 1, 1, 1] }, [2, 2]))
    await check([input('x', [3, 2, 7, 6], 68), input('w', [3, 2, 3, 3], 69), scale, bias], convBatchNormPool({ pads: [1, 1, 1, 1] }, [2, 3]))
  })

  it('Dropout: gradient is the upstream gradient through the kept units, scaled by 1/(1−p)', async () => {
    const ratio = 0.4
    let mask: Value | null = null
    const r = await gradCheck(
      [input('x', [8, 50], 41)],
      (g, [x]) => {
        const y = nn.dropout(g, x, ratio, 7)
        if (g.name === 'gradient') mask = g.tape.at(-1)!.params.mask as Value
        return y
      },
      { extraOutputs: (g) => [op.cast(g, mask!, 'float32')], analyticOnly: true }
    )
    // The forward graph draws a different mask, so compare with the mask the gradient graph used.
    const m = Object.values(r.extra)[0].data as Float32Array
    const dy = randomData(400, 99)
    const dx = r.analytic.x
    let kept = 0
    for (let i = 0; i < 400; i++) {
      kept += m[i]
      assert.ok(Math.abs(dx[i] - (m[i] ? dy[i] / (1 - ratio) : 0)) < 1e-6)
    }
    assert.ok(kept > 400 * 0.45 && kept < 400 * 0.75, `kept ${kept} of 400 at ratio ${ratio}`)
  })

  it('losses: softmax cross-entropy, sigmoid BCE, squared error', async () => {
    const targets = input('t', [4, 5], 42, { lo: 0, hi: 0.5, diff: false })
    await check([input('x', [4, 5], 43, { lo: -2, hi: 2 }), targets], (g, [x, t]) => losses.softmaxCrossEntropy(g, x, t))
    await check([input('x', [4, 3], 44, { lo: -3, hi: 3 }), input('a', [4, 3], 45, { lo: 0, hi: 1, diff: false }), input('b', [4, 3], 46, { lo: 0, hi: 2, diff: false })], (g, [x, a, b]) =>
      losses.sigmoidBinaryCrossEntropy(g, x, a, b)
    )
    await check([input('x', [3, 4], 47), input('t', [3, 4], 48, { diff: false })], (g, [x, t]) => losses.squaredError(g, x, t, g.scalar(0.25)))
  })
})
