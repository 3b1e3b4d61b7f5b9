/**
 * Antialiased bilinear (triangle filter widened by the scale factor, as Pillow and torchvision resize):
 * the resize the backbone's own preprocessing uses (main/ml/backbone/preprocess.ts `resizeChannel`).
 * This is the same arithmetic in the same order — its taps (shared), float32 weights, a horizontal then a
 * vertical pass — specialised to one 8-bit grey channel, so it gives bit-identical values (a test holds
 * it to that) in a fraction of the time: the model input of a 1024² X-ray takes a few milliseconds.
 */
import type { GreyRaster } from '../../imaging/raster'
import { cachedTaps, type Taps } from '../../ml/backbone/preprocess'

let scratchBuffer = new Float32Array(0)

/** The horizontal pass's buffer, kept between calls (large allocations are slow to fault in). */
function scratch(size: number): Float32Array {
  if (scratchBuffer.length < size) scratchBuffer = new Float32Array(size)
  return scratchBuffer
}

/** One grey 8-bit raster → outW×outH float values (0…255 scale, not rounded). */
export function resizeTriangle(src: GreyRaster<Uint8Array>, outW: number, outH: number): Float32Array {
  const { width, height } = src
  const tx = cachedTaps(width, outW)
  const ty = cachedTaps(height, outH)
  const mid = scratch(height * outW)
  // Four rows at a time share each output's taps and weights (a third less time); every sum still adds
  // its terms in the same order, so the values are the same to the bit.
  let y = 0
  for (; y + 4 <= height; y += 4) horizontal(src, tx, mid, outW, y, 4)
  for (; y < height; y++) horizontal(src, tx, mid, outW, y, 1)
  const out = new Float32Array(outW * outH)
  const tyWeights = ty.weights
  for (let y = 0; y < outH; y++) {
    const s = ty.start[y]
    const base = y * ty.stride
    const n = ty.count[y]
    const outRow = y * outW
    for (let x = 0; x < outW; x++) {
      let acc = 0
      for (let k = 0; k < n; k++) acc += mid[(s + k) * outW + x] * tyWeights[base + k]
      out[outRow + x] = acc
    }
  }
  return out
}

/** The horizontal pass over rows y … y+rows−1 (rows: 4 or 1) into `mid`. */
function horizontal(src: GreyRaster<Uint8Array>, tx: Taps, mid: Float32Array, outW: number, y: number, rows: 4 | 1): void {
  const { width, data } = src
  const txStart = tx.start
  const txCount = tx.count
  const txWeights = tx.weights
  const row = y * width
  const outRow = y * outW
  if (rows === 1) {
    for (let x = 0; x < outW; x++) {
      let acc = 0
      const s = row + txStart[x]
      const base = x * tx.stride
      const n = txCount[x]
      for (let k = 0; k < n; k++) acc += data[s + k] * txWeights[base + k]
      mid[outRow + x] = acc
    }
    return
  }
  for (let x = 0; x < outW; x++) {
    let a0 = 0
    let a1 = 0
    let a2 = 0
    let a3 = 0
    const s = row + txStart[x]
    const base = x * tx.stride
    const n = txCount[x]
    for (let k = 0; k < n; k++) {
      const w = txWeights[base + k]
      const i = s + k
      a0 += data[i] * w
      a1 += data[i + width] * w
      a2 += data[i + 2 * width] * w
      a3 += data[i + 3 * width] * w
    }
    mid[outRow + x] = a0
    mid[outRow + outW + x] = a1
    mid[outRow + 2 * outW + x] = a2
    mid[outRow + 3 * outW + x] = a3
  }
}
