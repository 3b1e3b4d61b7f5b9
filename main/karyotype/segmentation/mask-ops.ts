/**
 * Small operations on object masks (a binary mask cut to its box). Labelling, hole filling, convex hulls
 * and contour tracing come from image-js; this module only adapts our plain-data masks to its Mask class.
 */
import { Mask } from 'image-js'
import type { Box, ObjectMask, Point } from '../types'

export function toImageJsMask(m: ObjectMask): Mask {
  return new Mask(m.box.width, m.box.height, { data: m.data })
}

export function maskArea(m: ObjectMask): number {
  let n = 0
  for (let i = 0; i < m.data.length; i++) n += m.data[i]
  return n
}

export function maskCentroid(m: ObjectMask): Point {
  let sx = 0
  let sy = 0
  let n = 0
  const w = m.box.width
  for (let i = 0; i < m.data.length; i++) {
    if (!m.data[i]) continue
    sx += i % w
    sy += (i / w) | 0
    n++
  }
  return n === 0 ? [m.box.x, m.box.y] : [m.box.x + sx / n, m.box.y + sy / n]
}

/**
 * Connected components of a binary image (8-connected when `corners`); labels are 1..count, 0 is background.
 * Hand-written flood fill: image-js's fromMask also labels and measures every background region, which
 * made it the slowest step of a segmentation that labels many small masks.
 */
export function labelComponents(
  data: Uint8Array,
  width: number,
  height: number,
  corners = true
): { labels: Int32Array; count: number } {
  const labels = new Int32Array(width * height)
  const stack = new Int32Array(width * height)
  let count = 0
  for (let start = 0; start < data.length; start++) {
    if (!data[start] || labels[start]) continue
    count++
    labels[start] = count
    let top = 0
    stack[top++] = start
    while (top > 0) {
      const i = stack[--top]
      const x = i % width
      const y = (i - x) / width
      const x0 = x > 0 ? -1 : 0
      const x1 = x < width - 1 ? 1 : 0
      const y0 = y > 0 ? -1 : 0
      const y1 = y < height - 1 ? 1 : 0
      for (let oy = y0; oy <= y1; oy++) {
        for (let ox = x0; ox <= x1; ox++) {
          if (!corners && ox !== 0 && oy !== 0) continue
          const j = i + oy * width + ox
          if (data[j] && !labels[j]) {
            labels[j] = count
            stack[top++] = j
          }
        }
      }
    }
  }
  return { labels, count }
}

/** One mask per label (1..count), each cut to its bounding box; `offset` places the label image in the page. */
export function masksFromLabels(
  labels: Int32Array,
  width: number,
  height: number,
  count: number,
  offset: { x: number; y: number } = { x: 0, y: 0 }
): ObjectMask[] {
  const minX = new Int32Array(count + 1).fill(width)
  const minY = new Int32Array(count + 1).fill(height)
  const maxX = new Int32Array(count + 1).fill(-1)
  const maxY = new Int32Array(count + 1).fill(-1)
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      const l = labels[i]
      if (l <= 0) continue
      if (x < minX[l]) minX[l] = x
      if (x > maxX[l]) maxX[l] = x
      if (y < minY[l]) minY[l] = y
      if (y > maxY[l]) maxY[l] = y
    }
  }
  const out: ObjectMask[] = []
  for (let l = 1; l <= count; l++) {
    if (maxX[l] < 0) continue
    const box: Box = { x: minX[l], y: minY[l], width: maxX[l] - minX[l] + 1, height: maxY[l] - minY[l] + 1 }
    const data = new Uint8Array(box.width * box.height)
    for (let y = 0; y < box.height; y++) {
      const row = (y + box.y) * width + box.x
      for (let x = 0; x < box.width; x++) if (labels[row + x] === l) data[y * box.width + x] = 1
    }
    out.push({ box: { ...box, x: box.x + offset.x, y: box.y + offset.y }, data })
  }
  return out
}

/** The connected parts of a mask, largest first. */
export function splitComponents(m: ObjectMask, corners = true): ObjectMask[] {
  const { labels, count } = labelComponents(m.data.slice(), m.box.width, m.box.height, corners)
  return masksFromLabels(labels, m.box.width, m.box.height, count, m.box)
    .map(cropToContent)
    .sort((a, b) => maskArea(b) - maskArea(a))
}

/** Fills holes (pale bands that fell below the threshold inside a chromosome): background not reachable from the box edge. */
export function fillHoles(m: ObjectMask): ObjectMask {
  const w = m.box.width
  const h = m.box.height
  const outside = new Uint8Array(w * h)
  const stack: number[] = []
  const push = (i: number) => {
    if (!m.data[i] && !outside[i]) ((outside[i] = 1), stack.push(i))
  }
  for (let x = 0; x < w; x++) (push(x), push((h - 1) * w + x))
  for (let y = 0; y < h; y++) (push(y * w), push(y * w + w - 1))
  while (stack.length) {
    const i = stack.pop()!
    const x = i % w
    if (x > 0) push(i - 1)
    if (x < w - 1) push(i + 1)
    if (i >= w) push(i - w)
    if (i + w < w * h) push(i + w)
  }
  const data = new Uint8Array(w * h)
  for (let i = 0; i < data.length; i++) data[i] = outside[i] ? 0 : 1
  return { box: m.box, data }
}

/**
 * Convex hull of a mask as a polygon through pixel corners (image coordinates: pixel (x, y) spans
 * [x, x+1] × [y, y+1]), clockwise on screen, with its area. Andrew's monotone chain over the corners of
 * the outline's pixels. Hand-written: image-js's hull relies on its contour tracer, which never returns
 * on some 8-connected masks.
 */
export function convexHull(m: ObjectMask): { points: Point[]; area: number } {
  const corners: Point[] = []
  for (const [x, y] of outerContour(m)) corners.push([x, y], [x + 1, y], [x, y + 1], [x + 1, y + 1])
  if (corners.length === 0) return { points: [], area: 0 }
  corners.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  const cross = (o: Point, a: Point, b: Point) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
  const lower: Point[] = []
  for (const p of corners) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], p) <= 0) lower.pop()
    lower.push(p)
  }
  const upper: Point[] = []
  for (let i = corners.length - 1; i >= 0; i--) {
    const p = corners[i]
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p) <= 0) upper.pop()
    upper.push(p)
  }
  const points = [...lower.slice(0, -1), ...upper.slice(0, -1)]
  let twice = 0
  for (let i = 0; i < points.length; i++) {
    const a = points[i]
    const b = points[(i + 1) % points.length]
    twice += a[0] * b[1] - b[0] * a[1]
  }
  return { points, area: Math.abs(twice) / 2 }
}

export function convexHullArea(m: ObjectMask): number {
  return convexHull(m).area
}

/** Area over convex hull area: near 1 for a straight chromosome, low for clusters and crosses. */
export function solidity(m: ObjectMask, area = maskArea(m)): number {
  const hull = convexHullArea(m)
  return hull > 0 ? Math.min(1, area / hull) : 1
}

/**
 * Outer boundary pixels in image coordinates, clockwise (Moore-neighbour tracing, 8-connected, stopping
 * when the start pixel is entered again from the same side). Hand-written: image-js's 8-connected
 * tracer (Pavlidis) stops early on shapes whose first pixel hangs on by a corner.
 */
export function outerContour(m: ObjectMask): Point[] {
  const w = m.box.width
  const h = m.box.height
  let start = -1
  for (let i = 0; i < m.data.length && start < 0; i++) if (m.data[i]) start = i
  if (start < 0) return []
  const at = (x: number, y: number) => x >= 0 && y >= 0 && x < w && y < h && m.data[y * w + x] === 1
  // Neighbours clockwise from west (image y down): W, NW, N, NE, E, SE, S, SW.
  const dx = [-1, -1, 0, 1, 1, 1, 0, -1]
  const dy = [0, -1, -1, -1, 0, 1, 1, 1]
  const sx = start % w
  const sy = (start - sx) / w
  const out: Point[] = [[sx + m.box.x, sy + m.box.y]]
  // The start pixel is the first in raster order, so its west neighbour is background: backtrack = west.
  // Stop when the trace is about to repeat its first move (start -> second pixel).
  let x = sx
  let y = sy
  let back = 0
  let second = -1
  for (let steps = 0; steps < 8 * (w + 2) * (h + 2); steps++) {
    let found = -1
    for (let k = 1; k <= 8; k++) {
      const d = (back + k) % 8
      if (at(x + dx[d], y + dy[d])) {
        found = d
        break
      }
    }
    if (found < 0) break // a single pixel
    const nx = x + dx[found]
    const ny = y + dy[found]
    if (x === sx && y === sy) {
      if (second === ny * w + nx) break
      if (second < 0) second = ny * w + nx
    }
    // Backtrack from the new pixel: the neighbour examined just before `found`.
    const prev = (found + 7) % 8
    const bx = x + dx[prev] - nx
    const by = y + dy[prev] - ny
    back = dx.findIndex((v, i) => v === bx && dy[i] === by)
    x = nx
    y = ny
    if (x !== sx || y !== sy) out.push([x + m.box.x, y + m.box.y])
  }
  return out
}

/** Shrinks the box to the pixels that are set (a mask with none keeps a 0×0 box). */
export function cropToContent(m: ObjectMask): ObjectMask {
  const { width, height } = m.box
  let x0 = width
  let y0 = height
  let x1 = -1
  let y1 = -1
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!m.data[y * width + x]) continue
      if (x < x0) x0 = x
      if (x > x1) x1 = x
      if (y < y0) y0 = y
      if (y > y1) y1 = y
    }
  }
  if (x1 < 0) return { box: { x: m.box.x, y: m.box.y, width: 0, height: 0 }, data: new Uint8Array(0) }
  if (x0 === 0 && y0 === 0 && x1 === width - 1 && y1 === height - 1) return m
  const box: Box = { x: m.box.x + x0, y: m.box.y + y0, width: x1 - x0 + 1, height: y1 - y0 + 1 }
  const data = new Uint8Array(box.width * box.height)
  for (let y = 0; y < box.height; y++) {
    for (let x = 0; x < box.width; x++) data[y * box.width + x] = m.data[(y + y0) * width + x + x0]
  }
  return { box, data }
}

/** Union of masks in a common box. */
export function unionMasks(masks: ObjectMask[]): ObjectMask {
  const x0 = Math.min(...masks.map((m) => m.box.x))
  const y0 = Math.min(...masks.map((m) => m.box.y))
  const x1 = Math.max(...masks.map((m) => m.box.x + m.box.width))
  const y1 = Math.max(...masks.map((m) => m.box.y + m.box.height))
  const box: Box = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }
  const data = new Uint8Array(box.width * box.height)
  for (const m of masks) {
    for (let y = 0; y < m.box.height; y++) {
      for (let x = 0; x < m.box.width; x++) {
        if (m.data[y * m.box.width + x]) data[(y + m.box.y - y0) * box.width + x + m.box.x - x0] = 1
      }
    }
  }
  return { box, data }
}

/** Is image pixel (x, y) inside the mask? */
export function maskHas(m: ObjectMask, x: number, y: number): boolean {
  const cx = x - m.box.x
  const cy = y - m.box.y
  if (cx < 0 || cy < 0 || cx >= m.box.width || cy >= m.box.height) return false
  return m.data[cy * m.box.width + cx] === 1
}

/** Pads a mask with empty pixels on every side (thinning and contouring want a clear margin). */
export function padMask(m: ObjectMask, pad: number): ObjectMask {
  const box: Box = { x: m.box.x - pad, y: m.box.y - pad, width: m.box.width + 2 * pad, height: m.box.height + 2 * pad }
  const data = new Uint8Array(box.width * box.height)
  for (let y = 0; y < m.box.height; y++) {
    data.set(m.data.subarray(y * m.box.width, (y + 1) * m.box.width), (y + pad) * box.width + pad)
  }
  return { box, data }
}

/**
 * Gives every pixel of `inside` whose label is 0 or belongs to a piece smaller than `minArea` to a
 * 4-neighbouring piece that is large enough, growing outwards until all are placed (in place).
 */
export function absorbSmallLabels(
  labels: Int32Array,
  inside: Uint8Array,
  w: number,
  h: number,
  count: number,
  minArea: number
): void {
  const areas = new Int32Array(count + 1)
  for (let i = 0; i < labels.length; i++) areas[labels[i]]++
  const keep = (l: number) => l > 0 && areas[l] >= minArea
  if (!areas.some((a, l) => l > 0 && a >= minArea)) return
  let pending: number[] = []
  for (let i = 0; i < labels.length; i++) if (inside[i] && !keep(labels[i])) pending.push(i)
  while (pending.length > 0) {
    const next: number[] = []
    const assigned: Array<[number, number]> = []
    for (const i of pending) {
      const x = i % w
      const y = (i / w) | 0
      let l = 0
      if (x > 0 && keep(labels[i - 1])) l = labels[i - 1]
      else if (x < w - 1 && keep(labels[i + 1])) l = labels[i + 1]
      else if (y > 0 && keep(labels[i - w])) l = labels[i - w]
      else if (y < h - 1 && keep(labels[i + w])) l = labels[i + w]
      if (l) assigned.push([i, l])
      else next.push(i)
    }
    if (assigned.length === 0) break
    for (const [i, l] of assigned) labels[i] = l
    pending = next
  }
  for (const i of pending) labels[i] = 0
  for (let i = 0; i < labels.length; i++) if (labels[i] > 0 && !keep(labels[i])) labels[i] = 0
}

/** Second-moment shape of a set of pixels: centroid, orientation of the long axis, and elongation. */
export interface Moments {
  n: number
  cx: number
  cy: number
  /** Angle of the long axis in radians, from the x axis (y down), in (-π/2, π/2]. */
  angle: number
  /** sqrt(largest / smallest eigenvalue): 1 for a disc, large for a rod. */
  elongation: number
}

export function momentsOf(xs: ArrayLike<number>, ys: ArrayLike<number>): Moments {
  const n = xs.length
  let sx = 0
  let sy = 0
  for (let i = 0; i < n; i++) ((sx += xs[i]), (sy += ys[i]))
  const cx = sx / Math.max(1, n)
  const cy = sy / Math.max(1, n)
  let sxx = 0
  let syy = 0
  let sxy = 0
  for (let i = 0; i < n; i++) {
    const dx = xs[i] - cx
    const dy = ys[i] - cy
    sxx += dx * dx
    syy += dy * dy
    sxy += dx * dy
  }
  sxx = sxx / Math.max(1, n) + 1 / 12
  syy = syy / Math.max(1, n) + 1 / 12
  sxy /= Math.max(1, n)
  const tr = sxx + syy
  const det = sxx * syy - sxy * sxy
  const disc = Math.sqrt(Math.max(0, (tr * tr) / 4 - det))
  const l1 = tr / 2 + disc
  const l2 = Math.max(1e-9, tr / 2 - disc)
  return { n, cx, cy, angle: 0.5 * Math.atan2(2 * sxy, sxx - syy), elongation: Math.sqrt(l1 / l2) }
}

export function maskMoments(m: ObjectMask): Moments {
  const xs: number[] = []
  const ys: number[] = []
  const w = m.box.width
  for (let i = 0; i < m.data.length; i++) {
    if (!m.data[i]) continue
    xs.push(m.box.x + (i % w))
    ys.push(m.box.y + ((i / w) | 0))
  }
  return momentsOf(xs, ys)
}

/** Smallest angle between two undirected axes, in radians (0..π/2). */
export function axisAngle(a: number, b: number): number {
  let d = Math.abs(a - b) % Math.PI
  if (d > Math.PI / 2) d = Math.PI - d
  return d
}
