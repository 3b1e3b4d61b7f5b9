/**
 * Grad-CAM (Selvaraju et al. 2017) over the feature network's tapped layers. For every tapped layer,
 * each channel's activation map is weighted by the gradient of the label's logit with respect to that
 * channel's pooled feature (the head's `<head>.gradient` output, written by the training engine's
 * autodiff), the weighted maps are summed, and the layers' maps are resampled onto one grid (the finest
 * tapped resolution) and added. With mirror averaging, the mirrored image's maps are flipped back and
 * added, each half weighted as in the feature average.
 *
 * Because the features are global averages, the unrectified map is the head's logit (less its bias)
 * spread over the image for a linear head: summed over the grid it gives back the score's evidence.
 * The heatmap shown is its positive part, scaled to 0…1.
 */

export interface TapMaps {
  [tap: string]: { data: Float32Array; dims: number[] }
}

export interface CamGrid {
  width: number
  height: number
  /** Positive evidence, 0…1, row-major. */
  values: Float32Array
  /** The unrectified evidence per cell (sums to the logit's feature part for a linear head). */
  evidence: Float32Array
}

/** Bilinear sample (align-corners false) of an h×w map at fine cell (Y, X) of an H×W grid. */
function sample(map: Float32Array, h: number, w: number, Y: number, X: number, H: number, W: number): number {
  const v = Math.min(h - 1, Math.max(0, ((Y + 0.5) * h) / H - 0.5))
  const u = Math.min(w - 1, Math.max(0, ((X + 0.5) * w) / W - 0.5))
  const y0 = Math.floor(v)
  const x0 = Math.floor(u)
  const y1 = Math.min(h - 1, y0 + 1)
  const x1 = Math.min(w - 1, x0 + 1)
  const fy = v - y0
  const fx = u - x0
  const top = map[y0 * w + x0] * (1 - fx) + map[y0 * w + x1] * fx
  const bottom = map[y1 * w + x0] * (1 - fx) + map[y1 * w + x1] * fx
  return top * (1 - fy) + bottom * fy
}

export function gradCam(
  taps: { name: string; channels: number }[],
  maps: TapMaps,
  gradient: Float32Array,
  o: { flip: boolean; reference?: Float32Array | null }
): CamGrid {
  const rows = o.flip ? 2 : 1
  let H = 0
  let W = 0
  for (const t of taps) {
    const [, , h, w] = maps[t.name].dims
    H = Math.max(H, h)
    W = Math.max(W, w)
  }
  const evidence = new Float32Array(H * W)
  let offset = 0
  for (const t of taps) {
    const { data, dims } = maps[t.name]
    const [, c, h, w] = dims
    const plane = h * w
    // Per-position evidence of this layer, in the original image's orientation.
    const e = new Float32Array(plane)
    for (let k = 0; k < c; k++) {
      const alpha = gradient[offset + k]
      if (alpha === 0) continue
      const mean = o.reference ? o.reference[offset + k] : 0
      const a0 = data.subarray(k * plane, (k + 1) * plane)
      for (let i = 0; i < plane; i++) e[i] += alpha * (a0[i] - mean)
      if (rows === 2) {
        const a1 = data.subarray((c + k) * plane, (c + k + 1) * plane)
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) e[y * w + x] += alpha * (a1[y * w + (w - 1 - x)] - mean)
      }
    }
    offset += c
    // e / (rows·h·w) per layer cell; as a density (× h·w) resampled, then per fine cell (÷ H·W).
    const scale = 1 / (rows * H * W)
    for (let Y = 0; Y < H; Y++) for (let X = 0; X < W; X++) evidence[Y * W + X] += scale * sample(e, h, w, Y, X, H, W)
  }
  let max = 0
  for (const v of evidence) max = Math.max(max, v)
  const values = new Float32Array(H * W)
  if (max > 0) for (let i = 0; i < values.length; i++) values[i] = Math.max(0, evidence[i]) / max
  return { width: W, height: H, values, evidence }
}
