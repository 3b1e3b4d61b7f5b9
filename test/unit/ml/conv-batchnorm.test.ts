/**
 * A convolution recorded with the batch norm it feeds (nn.convForBatchNorm: batch mean from the
 * convolution's input, output written already centred) against the plain convolution followed by
 * nn.batchNormTrain, and with 2×2 max pooling after it (nn.convBatchNormMaxPool: pooled before the
 * affine map, γ of both signs) against the plain three: same output, batch mean and variance, for
 * padding, strides and dilations where some input cells are read by only some taps. Bound 1e-5
 * relative (Euclidean); measured up to ~3e-7.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Tensor } from 'onnxruntime-node'
import { Graph, type Value } from '../../../main/ml/graph/graph'
import * as nn from '../../../main/ml/graph/nn'
import { createSession, loadOrt } from '../../../main/ml/runtime/ort'
import { randomData, relError } from './grad-check'

type Variant = 'plain' | 'fused' | 'plain+pool' | 'fused+pool'

async function forward(variant: Variant, xShape: number[], wShape: number[], o: nn.ConvOptions, x: Float32Array, w: Float32Array) {
  const ort = await loadOrt()
  const g = new Graph('conv-bn')
  const xv = g.input('x', xShape)
  const wv = g.input('w', wShape)
  const c = wShape[0]
  // γ of both signs (pooling before the affine map must hold for negative scales too).
  const scale = g.constant(Array.from({ length: c }, (_, i) => (i % 3 === 1 ? -1 : 1) * (0.5 + i / c)), [c])
  const bias = g.constant(Array.from({ length: c }, (_, i) => i / c - 0.5), [c])
  const kernel: [number, number] = [2, 2]
  let bn: { y: Value; mean: Value; variance: Value }
  if (variant === 'fused+pool') bn = nn.convBatchNormMaxPool(g, xv, wv, scale, bias, 1e-5, o, kernel)
  else if (variant === 'fused') {
    const conv = nn.convForBatchNorm(g, xv, wv, o)
    bn = nn.batchNormTrain(g, conv.output, scale, bias, 1e-5, conv)
  } else bn = nn.batchNormTrain(g, nn.conv(g, xv, wv, null, o), scale, bias, 1e-5)
  if (variant === 'plain+pool') bn = { ...bn, y: nn.maxPool(g, bn.y, { kernel }) }
  g.output(bn.y, 'y')
  g.output(bn.mean, 'mean')
  g.output(bn.variance, 'variance')
  const session = await createSession(g.toModelBytes(), { threads: 1 })
  const out = await session.run({ x: new ort.Tensor('float32', x, xShape), w: new ort.Tensor('float32', w, wShape) })
  await session.release()
  const data = (name: string) => (out[name] as Tensor).data as Float32Array
  return { y: data('y'), mean: data('mean'), variance: data('variance') }
}

describe('convolution recorded with its batch norm (mean from the input, centred output) and max pooling', () => {
  const cases: { name: string; x: number[]; w: number[]; o: nn.ConvOptions }[] = [
    { name: '3×3, padding 1 (the bench CNN)', x: [8, 3, 16, 16], w: [6, 3, 3, 3], o: { pads: [1, 1, 1, 1] } },
    { name: 'stride 2, asymmetric padding', x: [4, 2, 11, 9], w: [5, 2, 3, 3], o: { strides: [2, 2], pads: [1, 0, 0, 1] } },
    { name: 'dilation 2, rectangular kernel, no padding', x: [4, 2, 12, 10], w: [3, 2, 3, 2], o: { dilations: [2, 1] } }
  ]
  for (const c of cases) {
    it(`matches the plain convolution and batch norm: ${c.name}`, async () => {
      // Inputs with a positive offset (like images and ReLU outputs): means far from zero.
      const x = randomData(c.x.reduce((a, b) => a * b, 1), 71, 0.5, 2)
      const w = randomData(c.w.reduce((a, b) => a * b, 1), 72, -0.3, 0.5)
      for (const [fusedVariant, plainVariant] of [['fused', 'plain'], ['fused+pool', 'plain+pool']] as const) {
        const fused = await forward(fusedVariant, c.x, c.w, c.o, x, w)
        const plain = await forward(plainVariant, c.x, c.w, c.o, x, w)
        const errors = { y: relError(fused.y, plain.y), mean: relError(fused.mean, plain.mean), variance: relError(fused.variance, plain.variance) }
        if (process.env.GRAD_REPORT) console.log(c.name, fusedVariant, errors)
        for (const [k, e] of Object.entries(errors)) assert.ok(e <= 1e-5, `${fusedVariant} ${k}: relative error ${e.toExponential(2)}`)
      }
    })
  }
})
