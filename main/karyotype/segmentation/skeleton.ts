/**
 * Medial axis of an object mask: Zhang–Suen thinning, then the longest path through the skeleton,
 * extended at both ends to the object's boundary. Hand-written: none of the maintained JavaScript image
 * libraries (image-js, sharp, opencv.js builds) ships thinning.
 */
import type { ObjectMask, Point } from '../types'
import { maskHas, padMask } from './mask-ops'

/** Zhang–Suen thinning of a mask (returns a skeleton in the same box). */
export function thin(m: ObjectMask): Uint8Array {
  const w = m.box.width
  const h = m.box.height
  const img = m.data.slice()
  // Only object pixels can change: keep a shrinking list of them instead of scanning the whole box.
  let live: number[] = []
  for (let y = 1; y < h - 1; y++) for (let x = 1; x < w - 1; x++) if (img[y * w + x]) live.push(y * w + x)
  for (let i = 0; i < img.length; i++) {
    const x = i % w
    const y = (i / w) | 0
    if (x === 0 || y === 0 || x === w - 1 || y === h - 1) img[i] = 0
  }
  const remove: number[] = []
  let changed = true
  while (changed) {
    changed = false
    for (let pass = 0; pass < 2; pass++) {
      remove.length = 0
      for (const i of live) {
        const p2 = img[i - w], p3 = img[i - w + 1], p4 = img[i + 1], p5 = img[i + w + 1]
        const p6 = img[i + w], p7 = img[i + w - 1], p8 = img[i - 1], p9 = img[i - w - 1]
        const b = p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9
        if (b < 2 || b > 6) continue
        const a =
          (p2 < p3 ? 1 : 0) + (p3 < p4 ? 1 : 0) + (p4 < p5 ? 1 : 0) + (p5 < p6 ? 1 : 0) +
          (p6 < p7 ? 1 : 0) + (p7 < p8 ? 1 : 0) + (p8 < p9 ? 1 : 0) + (p9 < p2 ? 1 : 0)
        if (a !== 1) continue
        if (pass === 0 ? p2 * p4 * p6 !== 0 || p4 * p6 * p8 !== 0 : p2 * p4 * p8 !== 0 || p2 * p6 * p8 !== 0) continue
        remove.push(i)
      }
      for (const i of remove) img[i] = 0
      if (remove.length > 0) {
        changed = true
        live = live.filter((i) => img[i] === 1)
      }
    }
  }
  return img
}

export interface MedialAxis {
  /** From one end to the other, image coordinates, lightly smoothed. */
  points: Point[]
  length: number
  /** Lengths (pixels) of skeleton branches off the main path, longest first: long ones mean a cross or a T. */
  branches: number[]
}

const dx8 = [1, 1, 0, -1, -1, -1, 0, 1]
const dy8 = [0, 1, 1, 1, 0, -1, -1, -1]

/** Breadth-first distances over skeleton pixels from the given sources; -1 where unreachable. */
function bfs(skel: Uint8Array, w: number, h: number, sources: number[], parent?: Int32Array): Int32Array {
  const dist = new Int32Array(skel.length).fill(-1)
  const queue = new Int32Array(skel.length)
  let head = 0
  let tail = 0
  for (const s of sources) {
    dist[s] = 0
    queue[tail++] = s
    if (parent) parent[s] = -1
  }
  while (head < tail) {
    const i = queue[head++]
    const x = i % w
    const y = (i / w) | 0
    for (let k = 0; k < 8; k++) {
      const nx = x + dx8[k]
      const ny = y + dy8[k]
      if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue
      const j = ny * w + nx
      if (!skel[j] || dist[j] >= 0) continue
      dist[j] = dist[i] + 1
      if (parent) parent[j] = i
      queue[tail++] = j
    }
  }
  return dist
}

function farthest(dist: Int32Array): number {
  let best = -1
  let at = -1
  for (let i = 0; i < dist.length; i++) if (dist[i] > best) ((best = dist[i]), (at = i))
  return at
}

const cache = new WeakMap<ObjectMask, MedialAxis>()

/** Medial axis of a (single, connected) object mask; remembered per mask object (masks are never mutated). */
export function medialAxis(mask: ObjectMask): MedialAxis {
  let axis = cache.get(mask)
  if (!axis) cache.set(mask, (axis = computeMedialAxis(mask)))
  return axis
}

function computeMedialAxis(mask: ObjectMask): MedialAxis {
  const m = padMask(mask, 1)
  const w = m.box.width
  const h = m.box.height
  const skel = thin(m)
  let start = -1
  for (let i = 0; i < skel.length && start < 0; i++) if (skel[i]) start = i
  if (start < 0) {
    const c: Point = [mask.box.x + mask.box.width / 2, mask.box.y + mask.box.height / 2]
    return { points: [c], length: 0, branches: [] }
  }
  // The skeleton may have several pieces if the mask has: follow the largest reachable one.
  const a = farthest(bfs(skel, w, h, [start]))
  const parent = new Int32Array(skel.length)
  const fromA = bfs(skel, w, h, [a], parent)
  const b = farthest(fromA)
  const path: number[] = []
  for (let i = b; i >= 0; i = parent[i]) path.push(i)

  // Side branches: pixels off the main path, grouped by where they leave it.
  const toPath = bfs(skel, w, h, path)
  const onPath = new Uint8Array(skel.length)
  for (const i of path) onPath[i] = 1
  const branches = sideBranchLengths(skel, w, h, onPath, toPath)

  const pts: Point[] = path.map((i) => [(i % w) + m.box.x, ((i / w) | 0) + m.box.y])
  const smoothed = smoothPolyline(pts, 2)
  const extended = extendToBoundary(smoothed, mask)
  return { points: extended, length: polylineLength(extended), branches }
}

function sideBranchLengths(skel: Uint8Array, w: number, h: number, onPath: Uint8Array, toPath: Int32Array): number[] {
  const seen = new Uint8Array(skel.length)
  const out: number[] = []
  for (let i = 0; i < skel.length; i++) {
    if (!skel[i] || onPath[i] || seen[i] || toPath[i] < 0) continue
    let longest = 0
    const stack = [i]
    seen[i] = 1
    while (stack.length) {
      const j = stack.pop()!
      if (toPath[j] > longest) longest = toPath[j]
      const x = j % w
      const y = (j / w) | 0
      for (let k = 0; k < 8; k++) {
        const nx = x + dx8[k]
        const ny = y + dy8[k]
        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue
        const n = ny * w + nx
        if (skel[n] && !onPath[n] && !seen[n]) ((seen[n] = 1), stack.push(n))
      }
    }
    out.push(longest)
  }
  return out.sort((p, q) => q - p)
}

export function polylineLength(points: Point[]): number {
  let s = 0
  for (let i = 1; i < points.length; i++) s += Math.hypot(points[i][0] - points[i - 1][0], points[i][1] - points[i - 1][1])
  return s
}

/** Moving average that keeps the end points (removes the staircase of pixel paths). */
export function smoothPolyline(points: Point[], radius: number): Point[] {
  if (points.length <= 2) return points.map((p) => [p[0], p[1]] as Point)
  return points.map((_, i) => {
    const r = Math.min(radius, i, points.length - 1 - i)
    let sx = 0
    let sy = 0
    for (let k = i - r; k <= i + r; k++) ((sx += points[k][0]), (sy += points[k][1]))
    return [sx / (2 * r + 1), sy / (2 * r + 1)] as Point
  })
}

/** Thinning stops short of the ends; continue each end along its direction until leaving the mask. */
function extendToBoundary(points: Point[], mask: ObjectMask): Point[] {
  if (points.length < 2) return points
  const extend = (end: Point, from: Point): Point[] => {
    let dx = end[0] - from[0]
    let dy = end[1] - from[1]
    const n = Math.hypot(dx, dy)
    if (n < 1e-6) return []
    dx /= n
    dy /= n
    const added: Point[] = []
    for (let t = 1; t < mask.box.width + mask.box.height; t++) {
      const x = end[0] + dx * t
      const y = end[1] + dy * t
      if (!maskHas(mask, Math.round(x), Math.round(y))) break
      added.push([x, y])
    }
    return added
  }
  const k = Math.min(4, points.length - 1)
  const head = extend(points[0], points[k]).reverse()
  const tail = extend(points[points.length - 1], points[points.length - 1 - k])
  return [...head, ...points, ...tail]
}
