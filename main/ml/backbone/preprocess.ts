/**
 * Image → model input, as the model's manifest says: resize to its size (antialiased bilinear, the way
 * Pillow and torchvision's `antialias=True` resize), grey replicated to its channels, normalised, laid out
 * NCHW or NHWC. Works on 8-bit, 16-bit and float rasters (main/imaging/raster.ts).
 */
import { LabError } from '../../errors'
import type { Raster } from '../../imaging/raster'
import type { InputSpec } from '../registry/manifest'
import type { TensorData } from '../runtime'

interface Taps {
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

/** Resizes one channel (row-major, `channels` interleaved, taking channel `c`) to outW×outH floats. */
export function resizeChannel(
  src: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  c: number,
  outW: number,
  outH: number
): Float32Array {
  const tx = taps(width, outW)
  const ty = taps(height, outH)
  // Horizontal pass into a height × outW buffer, then vertical.
  const mid = new Float32Array(height * outW)
  for (let y = 0; y < height; y++) {
    const row = y * width
    for (let x = 0; x < outW; x++) {
      let acc = 0
      const s = tx.start[x]
      const base = x * tx.stride
      for (let k = 0; k < tx.count[x]; k++) acc += src[(row + s + k) * channels + c] * tx.weights[base + k]
      mid[y * outW + x] = acc
    }
  }
  const out = new Float32Array(outW * outH)
  for (let y = 0; y < outH; y++) {
    const s = ty.start[y]
    const base = y * ty.stride
    for (let x = 0; x < outW; x++) {
      let acc = 0
      for (let k = 0; k < ty.count[y]; k++) acc += mid[(s + k) * outW + x] * ty.weights[base + k]
      out[y * outW + x] = acc
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
    const resized = Array.from({ length: colour }, (_, c) => resizeChannel(img.data, img.width, img.height, img.channels, c, W, H))
    for (let c = 0; c < C; c++) {
      const src = resized[Math.min(c, colour - 1)]
      const mean = norm.mean[c] ?? norm.mean[0] ?? 0
      const std = norm.std[c] ?? norm.std[0] ?? 1
      for (let i = 0; i < plane; i++) {
        const v = (src[i] * factor - mean) / std
        if (spec.layout === 'NHWC') data[(n * plane + i) * C + c] = v
        else data[(n * C + c) * plane + i] = v
      }
    }
  })
  const dims = spec.layout === 'NHWC' ? [images.length, H, W, C] : [images.length, C, H, W]
  return { dtype: 'float32', data, dims }
}
