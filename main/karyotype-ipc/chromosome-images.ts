/**
 * Display images of a cell's chromosomes for the karyogram: each one straightened upright by the
 * engine's normalisation (shorter arm up as a first guess), dark on white, at ONE scale for the whole
 * cell so relative sizes stay true, trimmed to its content.
 */
import { LabError } from '../errors'
import type { GreyRaster } from '../imaging/raster'
import { normaliseCell } from '../karyotype/normalise/normalise'
import type { Segmentation } from '../karyotype/types'
import type { ChromosomeImage } from '../../preload/karyotype'

/** Display width of a chromosome on the board, in pixels, before the board's own zoom. */
const displayWidth = 22

/**
 * Image pixels per segmentation pixel for the board: from the cell's typical chromosome width, which
 * edits do not change, so images made before and after an edit match.
 */
export function displayScale(seg: Segmentation): number {
  const w = seg.scale.chromosomeWidth > 0 ? seg.scale.chromosomeWidth : 10
  return Math.round(Math.min(4, Math.max(0.25, displayWidth / w)) * 100) / 100
}

/** The chromosome images of the objects in `ids` (all objects when absent), at `scale`. */
export async function chromosomeImages(
  image: GreyRaster<Uint8Array>,
  seg: Segmentation,
  scale: number,
  ids?: Set<string>
): Promise<ChromosomeImage[]> {
  const objects = ids ? seg.objects.filter((o) => ids.has(o.id)) : seg.objects
  if (objects.length === 0) return []
  const longest = Math.max(...objects.map((o) => o.length))
  const cw = Math.max(4, seg.scale.chromosomeWidth)
  // A canvas every object fits at `scale` (normalisation shrinks what does not fit; see below).
  const size = {
    width: Math.min(1024, Math.ceil((Math.max(...objects.map((o) => Math.min(o.box.width, o.box.height))) + 3 * cw) * scale) + 8),
    height: Math.min(1024, Math.ceil((longest + 3 * cw) * scale) + 8)
  }
  const normalised = await normaliseCell(image, { ...seg, objects }, { scale, size, polarity: 'auto' })
  return normalised.map((n) => {
    if (n.id === null) throw new LabError('internal', 'A normalised chromosome lost its object id.')
    return { id: n.id, ...trim(n.data, n.width, n.height), centromere: n.centromere, length: n.length }
  })
}

/** Crops a dark-on-white image to its content plus a 2-pixel margin. */
export function trim(data: Uint8Array, width: number, height: number): { width: number; height: number; data: Uint8Array } {
  let x0 = width
  let y0 = height
  let x1 = -1
  let y1 = -1
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (data[y * width + x] >= 250) continue
      if (x < x0) x0 = x
      if (x > x1) x1 = x
      if (y < y0) y0 = y
      if (y > y1) y1 = y
    }
  }
  if (x1 < 0) return { width: 1, height: 1, data: new Uint8Array([255]) }
  const m = 2
  const w = x1 - x0 + 1 + 2 * m
  const h = y1 - y0 + 1 + 2 * m
  const out = new Uint8Array(w * h).fill(255)
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) out[(y - y0 + m) * w + x - x0 + m] = data[y * width + x]
  }
  return { width: w, height: h, data: out }
}
