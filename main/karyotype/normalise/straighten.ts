/**
 * Straightening a chromosome along its smoothed medial axis: output row = arc length along the centre
 * line, output column = offset along its normal (bilinear samples). A straight chromosome is simply
 * rotated upright; a bent one is unbent. Hand-written: image-js warps only by affine or perspective matrices.
 */
import type { ObjectMask, Point } from '../types'
import { maskMoments } from '../segmentation/mask-ops'
import { smoothPolyline } from '../segmentation/skeleton'

export interface Straightened {
  width: number
  height: number
  /** Foreground-bright intensities (background 0), row = position along the chromosome. */
  data: Float32Array
  /** 1 inside the chromosome. */
  mask: Uint8Array
  /** Length of the centre curve inside the mask, in source pixels. */
  length: number
  /** Angle (degrees) of the end-to-end chord from vertical in the source, and the bend (largest distance of the centre line from that chord, pixels). */
  angle: number
  bend: number
}

/** Bilinear sample of a box-shaped source (image coordinates), 0 outside. No closures: it runs per output pixel. */
function sample(src: Float32Array, box: { x: number; y: number; width: number; height: number }, x: number, y: number): number {
  const fx = x - box.x
  const fy = y - box.y
  const x0 = Math.floor(fx)
  const y0 = Math.floor(fy)
  if (x0 < -1 || y0 < -1 || x0 >= box.width || y0 >= box.height) return 0
  const ax = fx - x0
  const ay = fy - y0
  const w = box.width
  const inX0 = x0 >= 0
  const inX1 = x0 + 1 < w
  const inY0 = y0 >= 0
  const inY1 = y0 + 1 < box.height
  const i = y0 * w + x0
  const v00 = inX0 && inY0 ? src[i] : 0
  const v10 = inX1 && inY0 ? src[i + 1] : 0
  const v01 = inX0 && inY1 ? src[i + w] : 0
  const v11 = inX1 && inY1 ? src[i + w + 1] : 0
  return v00 * (1 - ax) * (1 - ay) + v10 * ax * (1 - ay) + v01 * (1 - ax) * ay + v11 * ax * ay
}

/** Points every `step` pixels of arc length along a polyline. */
function resample(points: Point[], step: number): Point[] {
  const out: Point[] = [points[0]]
  let carry = 0
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1]
    const [x1, y1] = points[i]
    const seg = Math.hypot(x1 - x0, y1 - y0)
    let t = step - carry
    while (t <= seg) {
      out.push([x0 + ((x1 - x0) * t) / seg, y0 + ((y1 - y0) * t) / seg])
      t += step
    }
    carry = seg - (t - step)
  }
  return out
}

/** The centre line to straighten along: the medial axis, or the long axis through the centroid when it is too short. */
function centreLine(mask: ObjectMask, axis: Point[]): Point[] {
  const usable = axis.length >= 3 && Math.hypot(axis[0][0] - axis[axis.length - 1][0], axis[0][1] - axis[axis.length - 1][1]) >= 3
  if (usable) return axis
  const mom = maskMoments(mask)
  const ux = Math.cos(mom.angle)
  const uy = Math.sin(mom.angle)
  let lo = Infinity
  let hi = -Infinity
  const w = mask.box.width
  for (let i = 0; i < mask.data.length; i++) {
    if (!mask.data[i]) continue
    const u = (mask.box.x + (i % w) - mom.cx) * ux + (mask.box.y + ((i / w) | 0) - mom.cy) * uy
    lo = Math.min(lo, u)
    hi = Math.max(hi, u)
  }
  return [
    [mom.cx + lo * ux, mom.cy + lo * uy],
    [mom.cx + hi * ux, mom.cy + hi * uy]
  ]
}

/**
 * Straightens the chromosome in `mask`, reading intensities from `image` (foreground-bright, same box as
 * the mask, zero outside the chromosome). `axis` is its medial axis (image coordinates); `halfWidth` the
 * half width of the output strip. The centre line is smoothed over about a chromosome width (so splayed
 * chromatid ends do not steer it) and oriented to run down the source image (left to right when level),
 * so an upright chromosome keeps its top at the top.
 */
export function straighten(mask: ObjectMask, image: Float32Array, axis: Point[], halfWidth: number): Straightened {
  let line = resample(centreLine(mask, axis), 1)
  const first = line[0]
  const last = line[line.length - 1]
  const dy = last[1] - first[1]
  const dx = last[0] - first[0]
  if (dy < -Math.abs(dx) * 0.15 || (Math.abs(dy) <= Math.abs(dx) * 0.15 && dx < 0)) line = line.reverse()
  line = smoothPolyline(line, Math.max(2, Math.round(0.8 * halfWidth * 0.5)))
  // A little margin beyond both ends, straight on.
  const extendBy = 2
  const ext = (a: Point, b: Point): Point[] => {
    const n = Math.hypot(a[0] - b[0], a[1] - b[1]) || 1
    return Array.from({ length: extendBy }, (_, k) => [a[0] + ((a[0] - b[0]) / n) * (extendBy - k), a[1] + ((a[1] - b[1]) / n) * (extendBy - k)] as Point)
  }
  const k = Math.min(3, line.length - 1)
  if (k > 0) line = [...ext(line[0], line[k]), ...line, ...ext(line[line.length - 1], line[line.length - 1 - k]).reverse()]
  const width = 2 * Math.ceil(halfWidth) + 1
  const height = line.length
  const data = new Float32Array(width * height)
  const outMask = new Uint8Array(width * height)
  const maskF = Float32Array.from(mask.data)
  const r = Math.ceil(halfWidth)
  let rowsInside = 0
  for (let row = 0; row < height; row++) {
    const a = line[Math.max(0, row - 2)]
    const b = line[Math.min(height - 1, row + 2)]
    const tn = Math.hypot(b[0] - a[0], b[1] - a[1]) || 1
    const tx = (b[0] - a[0]) / tn
    const ty = (b[1] - a[1]) / tn
    const p = line[row]
    let any = false
    for (let col = 0; col < width; col++) {
      const s = col - r
      const x = p[0] - s * ty
      const y = p[1] + s * tx
      const m = sample(maskF, mask.box, x, y)
      if (m >= 0.5) ((outMask[row * width + col] = 1), (any = true))
      data[row * width + col] = m > 0 ? sample(image, mask.box, x, y) : 0
    }
    if (any) {
      keepCentralRun(outMask, data, row * width, width, r)
      rowsInside++
    }
  }
  const chord = Math.hypot(line[height - 1][0] - line[0][0], line[height - 1][1] - line[0][1]) || 1
  const cx = (line[height - 1][0] - line[0][0]) / chord
  const cy = (line[height - 1][1] - line[0][1]) / chord
  let bend = 0
  for (const p of line) bend = Math.max(bend, Math.abs((p[0] - line[0][0]) * cy - (p[1] - line[0][1]) * cx))
  const angle = (Math.atan2(cx, cy) * 180) / Math.PI
  return { width, height, data, mask: outMask, length: rowsInside, angle, bend }
}

/**
 * Keeps, in one output row, only the run of chromosome pixels at (or nearest to) the centre column:
 * across a tight bend the normal also crosses the chromosome's other limb, which must not be copied.
 */
function keepCentralRun(mask: Uint8Array, data: Float32Array, offset: number, width: number, centre: number): void {
  let seed = -1
  for (let d = 0; d <= centre && seed < 0; d++) {
    if (mask[offset + centre - d]) seed = centre - d
    else if (centre + d < width && mask[offset + centre + d]) seed = centre + d
  }
  if (seed < 0) return
  let lo = seed
  let hi = seed
  while (lo > 0 && mask[offset + lo - 1]) lo--
  while (hi < width - 1 && mask[offset + hi + 1]) hi++
  for (let c = 0; c < width; c++) {
    if (c >= lo && c <= hi) continue
    mask[offset + c] = 0
    data[offset + c] = 0
  }
}
