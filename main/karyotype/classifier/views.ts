/**
 * The classifier's views of one chromosome (the varifocal idea): a GLOBAL view of the whole straightened
 * chromosome, and two LOCAL views zoomed on its upper and lower halves (p and q arm when upright), each
 * fitted into a small fixed canvas. Pixels are stain density in 0–1 on a 0 background (the normalised
 * chromosome is dark on white; we invert it so zero padding in the network means "nothing here").
 *
 * Also the per-chromosome measurements the heads take besides the pixels: length and integrated
 * density (made relative to the cell later, see features.ts) and the centromere estimate.
 *
 * Turning a chromosome upside down (the "p-arm down" polarity) is cheap on views: the global view flips
 * vertically and the two local views swap and flip. `flipViews` does that, so flipped training examples
 * need no second normalisation.
 */
import type { NormalisedChromosome } from '../normalise/normalise'

export interface ViewSize {
  width: number
  height: number
}

export interface ViewConfig {
  global: ViewSize
  local: ViewSize
  /** Fraction of the chromosome's length each local view covers (upper: 0..f, lower: 1−f..1). */
  localFraction: number
}

export const defaultViewConfig: ViewConfig = {
  global: { width: 32, height: 64 },
  local: { width: 32, height: 48 },
  localFraction: 0.55
}

/** The canvas the engine's normalisation draws into before the views are cut: native scale (scale 1) up to this size. */
export const nativeCanvas = { width: 64, height: 200 }

/** Per-chromosome measurements, in source pixels (independent of the view sizes). */
export interface ChromosomeMeasures {
  /** Length along the centre line. */
  length: number
  /** Integrated stain density (sum of 0–1 densities over the chromosome, source pixels). */
  mass: number
  /** Mean width (mask area / length). */
  width: number
  /** Centromere position from the top of the views, 0–1 (null when no constriction was found). */
  centromere: number | null
  /** Shorter arm over length, 0–0.5 (null with centromere). */
  centromereIndex: number | null
}

export interface ChromosomeViews {
  global: Float32Array
  upper: Float32Array
  lower: Float32Array
  measures: ChromosomeMeasures
}

/** Content box of the chromosome in a dark-on-white canvas (pixels darker than the white background). */
function contentBox(n: NormalisedChromosome): { x0: number; y0: number; x1: number; y1: number } | null {
  let x0 = n.width
  let y0 = n.height
  let x1 = -1
  let y1 = -1
  for (let y = 0; y < n.height; y++) {
    for (let x = 0; x < n.width; x++) {
      if (n.data[y * n.width + x] >= 250) continue
      if (x < x0) x0 = x
      if (x > x1) x1 = x
      if (y < y0) y0 = y
      if (y > y1) y1 = y
    }
  }
  return x1 < 0 ? null : { x0, y0, x1: x1 + 1, y1: y1 + 1 }
}

/**
 * Resamples the region [sx0, sx1) × [sy0, sy1) of `src` (densities, row-major, width sw) into a centred
 * box of `out` (size ow × oh) keeping the aspect ratio, with a 1-pixel margin. Each output pixel averages
 * the source over its footprint (a box filter), so shrinking does not alias the bands.
 */
export function fitRegion(src: Float32Array, sw: number, sx0: number, sy0: number, sx1: number, sy1: number, out: Float32Array, ow: number, oh: number): number {
  out.fill(0)
  const rw = sx1 - sx0
  const rh = sy1 - sy0
  if (rw <= 0 || rh <= 0) return 0
  const scale = Math.min((oh - 2) / rh, (ow - 2) / rw)
  const tw = rw * scale
  const th = rh * scale
  const ox = (ow - tw) / 2
  const oy = (oh - th) / 2
  const inv = 1 / scale
  for (let y = 0; y < oh; y++) {
    // Source rows covered by output row y.
    const a = sy0 + (y - oy) * inv
    const b = a + inv
    const ya = Math.max(sy0, a)
    const yb = Math.min(sy1, b)
    if (yb <= ya) continue
    for (let x = 0; x < ow; x++) {
      const c = sx0 + (x - ox) * inv
      const d = c + inv
      const xa = Math.max(sx0, c)
      const xb = Math.min(sx1, d)
      if (xb <= xa) continue
      let sum = 0
      for (let yy = Math.floor(ya); yy < yb; yy++) {
        const wy = Math.min(yb, yy + 1) - Math.max(ya, yy)
        if (wy <= 0) continue
        const row = yy * sw
        for (let xx = Math.floor(xa); xx < xb; xx++) {
          const wx = Math.min(xb, xx + 1) - Math.max(xa, xx)
          if (wx > 0) sum += wy * wx * src[row + xx]
        }
      }
      // Normalised by the full footprint: pixels beyond the region count as background.
      out[y * ow + x] = sum * scale * scale
    }
  }
  return scale
}

/**
 * Cuts the views from a chromosome the engine normalised at native scale (see `nativeCanvas`:
 * normaliseCrop/normaliseCell with `{ size: nativeCanvas, scale: 1 }`).
 */
export function extractViews(n: NormalisedChromosome, config: ViewConfig = defaultViewConfig): ChromosomeViews {
  const density = new Float32Array(n.width * n.height)
  for (let i = 0; i < density.length; i++) density[i] = (255 - n.data[i]) / 255
  const box = contentBox(n)
  const global = new Float32Array(config.global.width * config.global.height)
  const upper = new Float32Array(config.local.width * config.local.height)
  const lower = new Float32Array(config.local.width * config.local.height)
  let mass = 0
  let area = 0
  for (const v of density) {
    mass += v
    if (v > 0.02) area++
  }
  const s2 = n.scale * n.scale
  const measures: ChromosomeMeasures = {
    length: n.length,
    mass: mass / s2,
    width: area / s2 / Math.max(1, n.length),
    centromere: n.centromere,
    centromereIndex: n.centromereIndex
  }
  if (!box) return { global, upper, lower, measures }
  const { x0, y0, x1, y1 } = box
  fitRegion(density, n.width, x0, y0, x1, y1, global, config.global.width, config.global.height)
  const part = Math.max(1, Math.round((y1 - y0) * config.localFraction))
  // The local views share one scale (the larger half fits), so the two halves stay comparable.
  fitRegion(density, n.width, x0, y0, x1, y0 + part, upper, config.local.width, config.local.height)
  fitRegion(density, n.width, x0, y1 - part, x1, y1, lower, config.local.width, config.local.height)
  return { global, upper, lower, measures }
}

/** A view turned upside down (rows reversed), into `out`. */
export function flipRows(src: ArrayLike<number>, width: number, height: number, out: Float32Array): Float32Array {
  for (let y = 0; y < height; y++) {
    const s = (height - 1 - y) * width
    const d = y * width
    for (let x = 0; x < width; x++) out[d + x] = src[s + x]
  }
  return out
}

/** A view mirrored left–right (the same chromosome seen from the other side), into `out`. */
export function mirrorColumns(src: ArrayLike<number>, width: number, height: number, out: Float32Array): Float32Array {
  for (let y = 0; y < height; y++) {
    const d = y * width
    for (let x = 0; x < width; x++) out[d + x] = src[d + width - 1 - x]
  }
  return out
}

/** The views of the same chromosome turned upside down: p-arm down when it was up. */
export function flipViews(v: ChromosomeViews, config: ViewConfig = defaultViewConfig): ChromosomeViews {
  const { global: g, local: l } = config
  return {
    global: flipRows(v.global, g.width, g.height, new Float32Array(v.global.length)),
    upper: flipRows(v.lower, l.width, l.height, new Float32Array(v.lower.length)),
    lower: flipRows(v.upper, l.width, l.height, new Float32Array(v.upper.length)),
    measures: { ...v.measures, centromere: v.measures.centromere === null ? null : 1 - v.measures.centromere }
  }
}
