/**
 * Exact Euclidean distance transform of a mask (distance of each inside pixel to the nearest outside
 * pixel, the box's outside counting as outside), by Felzenszwalb & Huttenlocher's two-pass lower envelope
 * of parabolas. Hand-written: image-js has none, and the npm `distance-transform` package is an
 * unmaintained ndarray-era module.
 */
import type { ObjectMask } from '../types'

const INF = 1e20

function edt1d(f: Float64Array, n: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = 0
  v[0] = 0
  z[0] = -INF
  z[1] = INF
  for (let q = 1; q < n; q++) {
    let s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k])
    while (s <= z[k]) {
      k--
      s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k])
    }
    k++
    v[k] = q
    z[k] = s
    z[k + 1] = INF
  }
  k = 0
  for (let q = 0; q < n; q++) {
    while (z[k + 1] < q) k++
    d[q] = (q - v[k]) * (q - v[k]) + f[v[k]]
  }
}

/** Distance in pixels to the nearest pixel outside the mask, for every pixel of the box (0 outside). */
export function distanceTransform(m: ObjectMask): Float32Array {
  // Pad by one so the box's border counts as outside.
  const w = m.box.width + 2
  const h = m.box.height + 2
  const grid = new Float64Array(w * h)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inside = x > 0 && y > 0 && x < w - 1 && y < h - 1 && m.data[(y - 1) * m.box.width + x - 1] === 1
      grid[y * w + x] = inside ? INF : 0
    }
  }
  const n = Math.max(w, h)
  const f = new Float64Array(n)
  const d = new Float64Array(n)
  const v = new Int32Array(n)
  const z = new Float64Array(n + 1)
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) f[y] = grid[y * w + x]
    edt1d(f, h, d, v, z)
    for (let y = 0; y < h; y++) grid[y * w + x] = d[y]
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) f[x] = grid[y * w + x]
    edt1d(f, w, d, v, z)
    for (let x = 0; x < w; x++) grid[y * w + x] = d[x]
  }
  const out = new Float32Array(m.box.width * m.box.height)
  for (let y = 0; y < m.box.height; y++) {
    for (let x = 0; x < m.box.width; x++) out[y * m.box.width + x] = Math.sqrt(grid[(y + 1) * w + x + 1])
  }
  return out
}
