/**
 * Image → model input, as the model's manifest says: resize to its size (antialiased bilinear, the way
 * Pillow and torchvision's `antialias=True` resize), grey replicated to its channels, normalised, laid out
 * NCHW or NHWC. Works on 8-bit, 16-bit and float rasters (main/imaging/raster.ts).
 */
import { LabError } from '../../errors'
import type { Raster } from '../../imaging/raster'
import type { InputSpec } from '../registry/manifest'
import type { TensorData } from '../runtime'

export interface Taps {
  start: Int32Array
  count: Int32Array
  weights: Float32Array
  stride: number
}

/** Per output pixel, the input pixels and weights of a triangle filter widened by the downscale factor. */
function taps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize
  const support = Math.max(scale, 1)
  const stride = Math.ceil(support) * 2 + 1
  const start = new Int32Array(outSize)
  const count = new Int32Array(outSize)
  const weights = new Float32Array(outSize * stride)
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale
    const lo = Math.max(0, Math.floor(center - support + 0.5))
    const hi = Math.min(inSize, Math.floor(center + support + 0.5))
    let total = 0
    for (let j = lo; j < hi; j++) {
      const w = Math.max(0, 1 - Math.abs((j + 0.5 - center) / support))
      weights[i * stride + (j - lo)] = w
      total += w
    }
    for (let j = lo; j < hi; j++) weights[i * stride + (j - lo)] /= total || 1
    start[i] = lo
    count[i] = hi - lo
  }
  return { start, count, weights, stride }
}

const tapCache = new Map<string, Taps>()

/** Taps depend only on the sizes: computed once per pair (a batch of same-size images shares them). */
export function cachedTaps(inSize: number, outSize: number): Taps {
  const key = `${inSize}>${outSize}`
  let t = tapCache.get(key)
  if (!t) {
    if (tapCache.size > 64) tapCache.clear()
    t = taps(inSize, outSize)
    tapCache.set(key, t)
  }
  return t
}

/**
 * Resizes one channel (row-major, `channels` interleaved, taking channel `c`) to outW×outH floats.
 * A horizontal pass into a height × outW float32 buffer, then a vertical one; sums in double precision.
 */
export function resizeChannel(
  src: Uint8Array | Uint16Array | Float32Array,
  width: number,
  height: number,
  channels: number,
  c: number,
  outW: number,
  outH: number
): Float32Array {
  const tx = cachedTaps(width, outW)
  const ty = cachedTaps(height, outH)
  const txStart = tx.start
  const txCount = tx.count
  const txWeights = tx.weights
  const txStride = tx.stride
  const mid = new Float32Array(height * outW)
  for (let y = 0; y < height; y++) {
    const row = y * width
    const outRow = y * outW
    for (let x = 0; x < outW; x++) {
      let acc = 0
      let at = (row + txStart[x]) * channels + c
      const base = x * txStride
      const n = txCount[x]
      for (let k = 0; k < n; k++, at += channels) acc += src[at] * txWeights[base + k]
      mid[outRow + x] = acc
    }
  }
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

/** Full scale of a raster's samples: 8-bit 255, 16-bit 65535, floats 1. */
function fullScale(r: Raster): number {
  return r.data instanceof Uint8Array ? 255 : r.data instanceof Uint16Array ? 65535 : 1
}

/**
 * Builds the batch tensor for an image input. The manifest's normalisation is written for 8-bit pixels
 * (`pixel / scale`); other depths are first brought to the same 0..1 range.
 */
export function imagesToTensor(images: Raster[], spec: InputSpec): TensorData {
  if (!spec.size) throw new LabError('invalid_argument', `Model input ${spec.name} is not an image input (no size in its manifest).`)
  const { width: W, height: H } = spec.size
  const C = spec.channels ?? 3
  const norm = spec.normalisation ?? { scale: 255, mean: [0], std: [1] }
  const data = new Float32Array(images.length * C * H * W)
  const plane = H * W
  images.forEach((img, n) => {
    if (img.width < 1 || img.height < 1) throw new LabError('bad_input', `Image ${n + 1} has no pixels.`)
    // Only grey and colour rasters: alpha (channel 2 or 4) is ignored.
    const colour = img.channels >= 3 ? 3 : 1
    // As if the pixel were 8-bit: pixel / fullScale * 255, then the manifest's (p / scale - mean) / std.
    const factor = 255 / fullScale(img) / norm.scale
    const resized: Float32Array[] = []
    for (let c = 0; c < colour; c++) resized.push(resizeChannel(img.data, img.width, img.height, img.channels, c, W, H))
    for (let c = 0; c < C; c++) {
      const src = resized[Math.min(c, colour - 1)]
      const mean = norm.mean[c] ?? norm.mean[0] ?? 0
      const std = norm.std[c] ?? norm.std[0] ?? 1
      if (spec.layout === 'NHWC') {
        for (let i = 0; i < plane; i++) data[(n * plane + i) * C + c] = (src[i] * factor - mean) / std
      } else {
        const offset = (n * C + c) * plane
        for (let i = 0; i < plane; i++) data[offset + i] = (src[i] * factor - mean) / std
      }
    }
  })
  const dims = spec.layout === 'NHWC' ? [images.length, H, W, C] : [images.length, C, H, W]
  return { dtype: 'float32', data, dims }
}
