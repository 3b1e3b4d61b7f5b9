/**
 * One synthetic G-banded chromosome: a centre line that is a circular arc (straight when the bend is 0),
 * a width profile with a centromere constriction and round ends, a slight groove between the sister
 * chromatids, and the band pattern of the ideogram laid along it (p terminal at s = -L/2).
 */
import type { ChromosomeBands } from '../ideogram/parse'
import type { Box, ObjectMask, Point } from '../types'

export interface ChromosomeShape {
  bands: ChromosomeBands
  /** Centre of the chromosome (image pixels). */
  cx: number
  cy: number
  /** Direction from p to q terminal, radians from the x axis. */
  angle: number
  /** Length along the centre line and width, pixels. */
  length: number
  width: number
  /** Curvature (1/pixels); 0 = straight. */
  curvature: number
}

export interface RenderedChromosome {
  /** Optical density in [0, 1] per pixel of `mask.box` (0 outside). */
  density: Float32Array
  mask: ObjectMask
  /** Centre line from p terminal to q terminal. */
  axis: Point[]
  centromere: Point
}

/** Local (unrotated) centre line point at arc position s (s = 0 at the middle). */
function localPoint(s: number, k: number): [number, number] {
  if (Math.abs(k) < 1e-6) return [s, 0]
  return [Math.sin(k * s) / k, (1 - Math.cos(k * s)) / k]
}

/** Band darkness along the chromosome, 0..1, sampled every pixel and smoothed like optics would. */
function bandProfile(bands: ChromosomeBands, length: number): Float32Array {
  const n = Math.max(2, Math.ceil(length) + 1)
  const raw = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    const pos = (i / (n - 1)) * bands.length
    // The band containing pos, or (in the tables' small gaps) the one before it.
    const band = bands.bands.findLast((b) => b.start <= pos) ?? bands.bands[0]
    raw[i] = band.darkness
  }
  const out = new Float32Array(n)
  const r = 2
  for (let i = 0; i < n; i++) {
    let s = 0
    let w = 0
    for (let j = -r; j <= r; j++) {
      const k = Math.min(n - 1, Math.max(0, i + j))
      const g = Math.exp(-(j * j) / 2.5)
      s += raw[k] * g
      w += g
    }
    out[i] = s / w
  }
  return out
}

export function renderChromosome(shape: ChromosomeShape): RenderedChromosome {
  const { length: L, width: W, curvature: k, angle } = shape
  const cos = Math.cos(angle)
  const sin = Math.sin(angle)
  const toImage = ([lx, ly]: [number, number]): Point => [shape.cx + lx * cos - ly * sin, shape.cy + lx * sin + ly * cos]
  // The centre line's chord midpoint sits at the shape's centre.
  const mid = localPoint(0, k)
  const endA = localPoint(-L / 2, k)
  const endB = localPoint(L / 2, k)
  const shift: [number, number] = [mid[0] - (endA[0] + endB[0]) / 2, mid[1] - (endA[1] + endB[1]) / 2]
  const local = (s: number): [number, number] => {
    const p = localPoint(s, k)
    return [p[0] + shift[0], p[1] + shift[1]]
  }
  const axis: Point[] = []
  for (let s = -L / 2; s <= L / 2 + 1e-9; s += 1) axis.push(toImage(local(s)))
  const centromereS = (shape.bands.centromere / shape.bands.length) * L - L / 2
  const centromere = toImage(local(centromereS))
  const profile = bandProfile(shape.bands, L)

  const xs = axis.map((p) => p[0])
  const ys = axis.map((p) => p[1])
  const m = W
  const box: Box = {
    x: Math.floor(Math.min(...xs) - m),
    y: Math.floor(Math.min(...ys) - m),
    width: 0,
    height: 0
  }
  box.width = Math.ceil(Math.max(...xs) + m) - box.x + 1
  box.height = Math.ceil(Math.max(...ys) + m) - box.y + 1
  const density = new Float32Array(box.width * box.height)
  const mask = new Uint8Array(box.width * box.height)
  const halfW = W / 2
  const constriction = 0.5 * W
  for (let py = 0; py < box.height; py++) {
    for (let px = 0; px < box.width; px++) {
      // Into the local frame (inverse rotation, undo the shift).
      const dx = box.x + px - shape.cx
      const dy = box.y + py - shape.cy
      const lx = dx * cos + dy * sin - shift[0]
      const ly = -dx * sin + dy * cos - shift[1]
      let s: number
      let d: number
      if (Math.abs(k) < 1e-6) {
        s = lx
        d = ly
      } else {
        const vx = lx
        const vy = ly - 1 / k
        s = Math.atan2(k * vx, -k * vy) / k
        d = Math.sign(k) * (1 / Math.abs(k) - Math.hypot(vx, vy))
      }
      let across = Math.abs(d)
      let along = s
      if (s < -L / 2 || s > L / 2) {
        // Beyond an end: distance to the end point (round caps).
        along = s < -L / 2 ? -L / 2 : L / 2
        const e = localPoint(along, k)
        across = Math.hypot(lx - e[0], ly - e[1])
      }
      // Width: full, pinched at the centromere, rounded within half a width of the ends.
      const fromEnd = Math.min(along + L / 2, L / 2 - along)
      const pinch = 1 - 0.3 * Math.exp(-(((along - centromereS) / constriction) ** 2))
      const cap = fromEnd < halfW ? Math.sqrt(Math.max(0, 1 - ((halfW - fromEnd) / halfW) ** 2)) : 1
      const half = halfW * pinch * cap
      // Beyond the ends only the anti-aliased rim of the round cap remains.
      if ((s < -L / 2 - 0.5 || s > L / 2 + 0.5) && across > 0.5) continue
      const r = across
      if (r > half + 0.5) continue
      const edge = Math.min(1, half + 0.5 - r) // anti-aliased rim
      const i = py * box.width + px
      const band = profile[Math.min(profile.length - 1, Math.max(0, Math.round(along + L / 2)))]
      const groove = 1 - 0.18 * Math.exp(-((across / (0.14 * W)) ** 2))
      density[i] = edge * groove * (0.3 + 0.62 * band)
      if (r <= half) mask[i] = 1
    }
  }
  return { density, mask: { box, data: mask }, axis, centromere }
}
