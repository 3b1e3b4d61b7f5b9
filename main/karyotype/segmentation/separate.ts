/**
 * Separation of touching chromosomes, in two steps.
 *  1. Necks: flooding the object's distance transform from its thickest points, two thick parts stay apart
 *     where they meet through a neck much narrower than both (chromosomes touching end to end or at a
 *     corner). The thick centre of an X or V of splayed sister chromatids is one part, so those stay whole.
 *  2. Clusters still too large for one chromosome are cut straight between deep concavities of the outline
 *     (or from one concavity across the shortest chord), taking the cut that is shortest for the cell's
 *     chromosome width and leaves the most convex pieces; pieces are examined again.
 */
import type { CellScale, ObjectMask, Point } from '../types'
import { cutMask } from './cut'
import { distanceTransform } from './distance'
import { absorbSmallLabels, axisAngle, convexHull, maskArea, masksFromLabels, momentsOf, outerContour, solidity, type Moments } from './mask-ops'

export interface SeparationOptions {
  /** Larger than this many unit areas cannot be one chromosome (chromosome 1 is about 2 units). */
  maxSingleArea: number
  /** Two thick parts stay apart where the neck joining them is thinner than this fraction of both. */
  neckRatio: number
  /** Only parts at least this thick (in chromosome widths, distance to the edge) count as thick. */
  minPeak: number
  /** Pieces smaller than this many unit areas are not chromosomes (21 and Y are about 0.4). */
  minPieceArea: number
  /** Longest cut, in chromosome widths, between two concavities / from one concavity. */
  maxCutTwoSided: number
  maxCutOneSided: number
  /** A concavity must be at least this deep (in chromosome widths) to anchor a cut. */
  minDepth: number
  /** How many cuts deep a cluster may be taken apart. */
  maxDepth: number
  /** Objects larger than this many unit areas are not cut at all (flagged as clusters). */
  maxClusterArea: number
  /** Parts meeting at a neck are rejoined as arms when their axes are within this angle of their join line. */
  armAngleDegrees: number
}

export const defaultSeparation: SeparationOptions = {
  maxSingleArea: 2.6,
  neckRatio: 0.55,
  minPeak: 0.35,
  minPieceArea: 0.2,
  maxCutTwoSided: 1.25,
  maxCutOneSided: 0.9,
  minDepth: 0.2,
  maxDepth: 6,
  maxClusterArea: 12,
  armAngleDegrees: 30
}

interface Concavity {
  index: number
  point: Point
  depth: number
}

/** Contour points with their distance inside the convex hull, and the local maxima of that distance. */
function concavities(mask: ObjectMask, contour: Point[], minDepth: number): Concavity[] {
  // Hull corners to pixel-centre coordinates, like the contour's.
  const hull = convexHull(mask).points.map(([x, y]) => [x - 0.5, y - 0.5] as Point)
  if (hull.length < 3) return []
  const depth = contour.map((p) => {
    let best = Infinity
    for (let k = 0; k < hull.length; k++) {
      const a = hull[k]
      const b = hull[(k + 1) % hull.length]
      best = Math.min(best, segmentDistance(p, a, b))
    }
    return best
  })
  const n = contour.length
  const out: Concavity[] = []
  const win = 3
  for (let i = 0; i < n; i++) {
    if (depth[i] < minDepth) continue
    let isMax = true
    for (let k = -win; k <= win && isMax; k++) {
      if (k === 0) continue
      const j = (i + k + n) % n
      if (depth[j] > depth[i] || (depth[j] === depth[i] && k < 0)) isMax = false
    }
    if (isMax) out.push({ index: i, point: contour[i], depth: depth[i] })
  }
  return out
}

function segmentDistance(p: Point, a: Point, b: Point): number {
  const vx = b[0] - a[0]
  const vy = b[1] - a[1]
  const len2 = vx * vx + vy * vy
  let t = len2 > 0 ? ((p[0] - a[0]) * vx + (p[1] - a[1]) * vy) / len2 : 0
  t = Math.max(0, Math.min(1, t))
  return Math.hypot(p[0] - a[0] - t * vx, p[1] - a[1] - t * vy)
}

/** Fraction of the segment's samples that lie inside the mask (a cut must run through the object). */
function insideFraction(mask: ObjectMask, a: Point, b: Point): number {
  const n = Math.max(2, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1])))
  let inside = 0
  for (let s = 0; s <= n; s++) {
    const x = Math.round(a[0] + ((b[0] - a[0]) * s) / n) - mask.box.x
    const y = Math.round(a[1] + ((b[1] - a[1]) * s) / n) - mask.box.y
    if (x >= 0 && y >= 0 && x < mask.box.width && y < mask.box.height && mask.data[y * mask.box.width + x]) inside++
  }
  return inside / (n + 1)
}

interface Candidate {
  line: [Point, Point]
  twoSided: boolean
}

function candidateCuts(mask: ObjectMask, scale: CellScale, o: SeparationOptions): Candidate[] {
  const contour = outerContour(mask)
  const n = contour.length
  if (n < 8) return []
  const w = scale.chromosomeWidth
  // The deepest few concavities are enough; a ragged blob must not cost a quadratic number of cuts.
  const cav = concavities(mask, contour, o.minDepth * w).sort((a, b) => b.depth - a.depth).slice(0, 12)
  const out: Candidate[] = []
  const minSep = Math.max(4, Math.round(w))
  const ringDist = (i: number, j: number) => Math.min(Math.abs(i - j), n - Math.abs(i - j))
  for (let a = 0; a < cav.length; a++) {
    for (let b = a + 1; b < cav.length; b++) {
      const p = cav[a]
      const q = cav[b]
      if (ringDist(p.index, q.index) < minSep) continue
      const len = Math.hypot(p.point[0] - q.point[0], p.point[1] - q.point[1])
      if (len > o.maxCutTwoSided * w) continue
      if (insideFraction(mask, p.point, q.point) < 0.7) continue
      out.push({ line: [p.point, q.point], twoSided: true })
    }
    // One-sided: the shortest chord from this concavity to the opposite side of the outline.
    const p = cav[a]
    let best = -1
    let bestLen = Infinity
    for (let j = 0; j < n; j++) {
      if (ringDist(p.index, j) < minSep) continue
      const len = Math.hypot(p.point[0] - contour[j][0], p.point[1] - contour[j][1])
      if (len < bestLen) ((bestLen = len), (best = j))
    }
    if (best >= 0 && bestLen <= o.maxCutOneSided * w && insideFraction(mask, p.point, contour[best]) >= 0.7) {
      out.push({ line: [p.point, contour[best]], twoSided: false })
    }
  }
  return out
}

/** Splits a mask at narrow necks between thick parts (see the module comment); pieces largest first. */
export function splitAtNecks(mask: ObjectMask, scale: CellScale, o: SeparationOptions = defaultSeparation): ObjectMask[] {
  const w = mask.box.width
  const h = mask.box.height
  const dt = distanceTransform(mask)
  // Thickest first: a bucket sort on quarter-pixel steps is plenty fine and much faster than a comparison sort.
  const bins = new Int32Array(Math.ceil(Math.max(0, ...dt) * 4) + 2)
  for (let i = 0; i < dt.length; i++) if (mask.data[i]) bins[Math.round(dt[i] * 4)]++
  for (let b = bins.length - 2; b >= 0; b--) bins[b] += bins[b + 1]
  const order = new Int32Array(bins[0])
  const fillAt = new Int32Array(bins.length)
  for (let b = 0; b < bins.length - 1; b++) fillAt[b] = bins[b + 1]
  for (let i = 0; i < dt.length; i++) if (mask.data[i]) order[fillAt[Math.round(dt[i] * 4)]++] = i
  const parent = new Int32Array(dt.length).fill(-1)
  const peak = new Float32Array(dt.length)
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]]
      i = parent[i]
    }
    return i
  }
  const minPeak = o.minPeak * scale.chromosomeWidth
  const roots: number[] = []
  for (const i of order) {
    const x = i % w
    const y = (i / w) | 0
    roots.length = 0
    for (let oy = -1; oy <= 1; oy++) {
      for (let ox = -1; ox <= 1; ox++) {
        if (!ox && !oy) continue
        const nx = x + ox
        const ny = y + oy
        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue
        const j = ny * w + nx
        if (parent[j] < 0) continue
        const r = find(j)
        if (!roots.includes(r)) roots.push(r)
      }
    }
    if (roots.length === 0) {
      parent[i] = i
      peak[i] = dt[i]
      continue
    }
    roots.sort((a, b) => peak[b] - peak[a])
    const main = roots[0]
    parent[i] = main
    for (let k = 1; k < roots.length; k++) {
      const r = roots[k]
      const lower = Math.min(peak[main], peak[r])
      const neck = dt[i] < o.neckRatio * lower
      if (lower >= minPeak && neck) continue // two thick parts meeting through a neck: keep apart
      parent[r] = main
    }
  }
  const labels = new Int32Array(dt.length)
  const ids = new Map<number, number>()
  for (const i of order) {
    const r = find(i)
    let l = ids.get(r)
    if (l === undefined) ids.set(r, (l = ids.size + 1))
    labels[i] = l
  }
  if (ids.size <= 1) return [mask]
  absorbSmallLabels(labels, mask.data, w, h, ids.size, o.minPieceArea * scale.unitArea)
  rejoinArms(labels, w, scale, o)
  const pieces = masksFromLabels(labels, w, h, ids.size, mask.box).filter((m) => maskArea(m) > 0)
  return pieces.length > 1 ? pieces.sort((a, b) => maskArea(b) - maskArea(a)) : [mask]
}

function labelMoments(labels: Int32Array, w: number, label: number): Moments {
  const xs: number[] = []
  const ys: number[] = []
  for (let i = 0; i < labels.length; i++) if (labels[i] === label) (xs.push(i % w), ys.push((i / w) | 0))
  return momentsOf(xs, ys)
}

/**
 * A centromere is a neck too. Two parts are the arms of one chromosome when together they are not too
 * large and lie on one straight line: each elongated part points at the other, or both are small and round.
 */
export function looksLikeArms(a: Moments, b: Moments, scale: CellScale, o: SeparationOptions): boolean {
  if (a.n + b.n > o.maxSingleArea * scale.unitArea) return false
  const join = Math.atan2(b.cy - a.cy, b.cx - a.cx)
  const limit = (o.armAngleDegrees * Math.PI) / 180
  const rod = 1.4
  if (a.elongation < rod && b.elongation < rod) return a.n + b.n <= 1.1 * scale.unitArea
  if (a.elongation >= rod && axisAngle(a.angle, join) > limit) return false
  if (b.elongation >= rod && axisAngle(b.angle, join) > limit) return false
  return true
}

/** Merges neighbouring parts that look like the two arms of one chromosome (in place). */
function rejoinArms(labels: Int32Array, w: number, scale: CellScale, o: SeparationOptions): void {
  for (let changed = true; changed; ) {
    changed = false
    const touching = new Set<string>()
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i]
      if (!l) continue
      const x = i % w
      const r = x < w - 1 ? labels[i + 1] : 0
      const d = i + w < labels.length ? labels[i + w] : 0
      for (const n of [r, d]) if (n && n !== l) touching.add(l < n ? `${l},${n}` : `${n},${l}`)
    }
    const moments = new Map<number, Moments>()
    const get = (l: number) => moments.get(l) ?? moments.set(l, labelMoments(labels, w, l)).get(l)!
    for (const pair of touching) {
      const [a, b] = pair.split(',').map(Number)
      if (!looksLikeArms(get(a), get(b), scale, o)) continue
      for (let i = 0; i < labels.length; i++) if (labels[i] === b) labels[i] = a
      changed = true
      break
    }
  }
}

function tooBig(area: number, scale: CellScale, o: SeparationOptions): boolean {
  return area > o.maxSingleArea * scale.unitArea
}

/**
 * The best cut of a cluster into two pieces, or null: each piece at least `minPieceArea`, scored by how
 * much more convex the pieces are than the whole, less a penalty for long cuts.
 */
export function bestSplit(mask: ObjectMask, scale: CellScale, o: SeparationOptions = defaultSeparation): ObjectMask[] | null {
  const area = maskArea(mask)
  const whole = solidity(mask, area)
  let best: { pieces: ObjectMask[]; score: number } | null = null
  for (const c of candidateCuts(mask, scale, o)) {
    const pieces = cutMask(mask, c.line, 0.05 * scale.unitArea)
    if (pieces.length !== 2) continue
    const areas = pieces.map(maskArea)
    if (Math.min(...areas) < o.minPieceArea * scale.unitArea) continue
    const sols = pieces.map((p, i) => solidity(p, areas[i]))
    const gain = (sols[0] * areas[0] + sols[1] * areas[1]) / (areas[0] + areas[1]) - whole
    const cutLen = Math.hypot(c.line[0][0] - c.line[1][0], c.line[0][1] - c.line[1][1]) / scale.chromosomeWidth
    const score = gain - 0.1 * cutLen + (c.twoSided ? 0.03 : 0)
    if (!best || score > best.score) best = { pieces, score }
  }
  return best?.pieces ?? null
}

/** Splits an object into chromosome-like pieces. `unresolved` marks pieces still too large for one chromosome. */
export function separateTouching(
  mask: ObjectMask,
  scale: CellScale,
  o: SeparationOptions = defaultSeparation
): { pieces: ObjectMask[]; unresolved: boolean[] } {
  const pieces: ObjectMask[] = []
  const unresolved: boolean[] = []
  const visit = (m: ObjectMask, depth: number, neckDone: boolean) => {
    if (!neckDone) {
      const parts = splitAtNecks(m, scale, o)
      if (parts.length > 1) {
        for (const p of parts) visit(p, depth + 1, true)
        return
      }
    }
    const area = maskArea(m)
    // Far too large to be a cluster of a few chromosomes (a smear, a clump of cells): leave it whole.
    if (!tooBig(area, scale, o) || area > o.maxClusterArea * scale.unitArea) {
      pieces.push(m)
      unresolved.push(tooBig(area, scale, o))
      return
    }
    const split = depth < o.maxDepth ? bestSplit(m, scale, o) : null
    if (!split) {
      pieces.push(m)
      unresolved.push(true)
      return
    }
    for (const p of split) visit(p, depth + 1, false)
  }
  visit(mask, 0, false)
  return { pieces, unresolved }
}
