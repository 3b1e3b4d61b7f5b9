/**
 * Automatic segmentation of a metaphase spread:
 *   foreground-bright, flattened, smoothed image -> Otsu threshold -> connected objects with holes filled
 *   -> nuclei (large round blobs) and debris removed -> cell scale measured from the objects
 *   -> touching chromosomes separated -> plain-data objects with contour and medial axis.
 */
import { Image, computeThreshold } from 'image-js'
import type { GreyRaster } from '../../imaging/raster'
import type { Box, CellScale, ChromosomeObject, ObjectMask, Segmentation, Stain } from '../types'
import { prepareForeground } from './foreground'
import { readMetaphaseImage } from './load'
import { convexHull, fillHoles, labelComponents, maskArea, masksFromLabels, solidity } from './mask-ops'
import { describeObject } from './object'
import { defaultSeparation, separateTouching, type SeparationOptions } from './separate'
import { medialAxis } from './skeleton'

export interface SegmentOptions {
  stain?: Stain | 'auto'
  /** Smoothing before thresholding (pixels). */
  sigma?: number
  /** Chromosomes expected in the cell, to set its scale (46 for a human cell). */
  expectedCount?: number
  separation?: Partial<SeparationOptions>
  /** Skip the separation of touching chromosomes (for inspection). */
  separate?: boolean
}

/** The outcome of the automatic steps before objects are described; exported for the editing module. */
export interface Thresholded {
  stain: Stain
  threshold: number
  binary: Uint8Array
  width: number
  height: number
}

export async function thresholdSpread(image: GreyRaster<Uint8Array>, options: SegmentOptions = {}): Promise<Thresholded> {
  const fg = await prepareForeground(image, { stain: options.stain, sigma: options.sigma })
  const img = new Image(fg.width, fg.height, { data: fg.data, colorModel: 'GREY' })
  // Otsu splits background from chromosomes; never accept a threshold inside the background's noise.
  const threshold = Math.max(12, computeThreshold(img, { algorithm: 'otsu' }))
  const binary = new Uint8Array(fg.data.length)
  for (let i = 0; i < binary.length; i++) binary[i] = fg.data[i] > threshold ? 1 : 0
  return { stain: fg.stain, threshold, binary, width: fg.width, height: fg.height }
}

/** A nucleus is much larger than a chromosome, round and solid. */
function isNucleus(mask: ObjectMask, area: number, medianArea: number): boolean {
  if (area < 4 * medianArea) return false
  const hull = convexHull(mask).points
  let feret = 0
  for (let i = 0; i < hull.length; i++) {
    for (let j = i + 1; j < hull.length; j++) {
      feret = Math.max(feret, Math.hypot(hull[i][0] - hull[j][0], hull[i][1] - hull[j][1]))
    }
  }
  const circleFill = area / (Math.PI * (feret / 2) ** 2)
  return circleFill > 0.5 && solidity(mask, area) > 0.85
}

function median(values: number[]): number {
  if (values.length === 0) return 0
  const s = [...values].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

/** Scale of the cell from its own objects: unit area = chromosome area / expected count, width = area / length. */
export function measureScale(masks: ObjectMask[], expectedCount: number): CellScale {
  const areas = masks.map(maskArea)
  const med = median(areas)
  const total = areas.reduce((s, a) => s + a, 0)
  const unitArea = Math.max(1, Math.min(2 * med, Math.max(0.5 * med, total / expectedCount)))
  const solid = masks.filter((m, i) => solidity(m, areas[i]) >= 0.85 && areas[i] < 2 * unitArea)
  const widths = (solid.length >= 3 ? solid : masks).map((m) => maskArea(m) / Math.max(1, medialAxis(m).length))
  const chromosomeWidth = Math.max(2, median(widths) || Math.sqrt(unitArea / 3))
  return { unitArea, chromosomeWidth }
}

export async function segmentSpread(image: GreyRaster<Uint8Array>, options: SegmentOptions = {}): Promise<Segmentation> {
  const expected = options.expectedCount ?? 46
  const t = await thresholdSpread(image, options)
  const { labels, count } = labelComponents(t.binary, t.width, t.height, true)
  // Specks of a few pixels are never chromosomes; drop them before measuring anything.
  const speck = Math.max(4, Math.round((t.width * t.height) / 40_000))
  const all = masksFromLabels(labels, t.width, t.height, count).map(fillHoles)
  const areas = all.map(maskArea)
  let debris = areas.filter((a) => a < speck).length
  const candidates = all.filter((_, i) => areas[i] >= speck)
  const candidateAreas = candidates.map(maskArea)
  const medianArea = median(candidateAreas)
  const nuclei: Box[] = []
  const chromosomeLike: ObjectMask[] = []
  candidates.forEach((m, i) => {
    if (isNucleus(m, candidateAreas[i], medianArea)) nuclei.push({ ...m.box })
    else chromosomeLike.push(m)
  })
  const warnings: string[] = []
  if (chromosomeLike.length === 0) {
    warnings.push('No chromosome-like objects were found in this image.')
    return {
      width: t.width,
      height: t.height,
      pixelScale: 1,
      stain: t.stain,
      objects: [],
      nextId: 1,
      threshold: t.threshold,
      scale: { unitArea: 0, chromosomeWidth: 0 },
      removed: { nuclei, debris },
      warnings
    }
  }
  const scale = measureScale(chromosomeLike, expected)
  const sep = { ...defaultSeparation, ...options.separation }
  const kept: Array<{ mask: ObjectMask; cluster: boolean; split: boolean }> = []
  for (const m of chromosomeLike) {
    if (maskArea(m) < 0.12 * scale.unitArea) {
      debris++
      continue
    }
    if (options.separate === false) {
      kept.push({ mask: m, cluster: false, split: false })
      continue
    }
    const r = separateTouching(m, scale, sep)
    r.pieces.forEach((p, k) => kept.push({ mask: p, cluster: r.unresolved[k], split: r.pieces.length > 1 }))
  }
  // Reading order (top to bottom, then left to right in bands) gives stable, predictable ids.
  const band = Math.max(8, 3 * scale.chromosomeWidth)
  kept.sort((a, b) => {
    const ay = Math.floor((a.mask.box.y + a.mask.box.height / 2) / band)
    const by = Math.floor((b.mask.box.y + b.mask.box.height / 2) / band)
    return ay - by || a.mask.box.x - b.mask.box.x
  })
  const objects: ChromosomeObject[] = kept.map((k, i) =>
    describeObject(`c${i + 1}`, 'auto', k.mask, t, scale, k.cluster ? ['cluster'] : [])
  )
  if (objects.length < expected * 0.5) {
    warnings.push(`Only ${objects.length} objects were found; this may not be a complete metaphase.`)
  }
  return {
    width: t.width,
    height: t.height,
    pixelScale: 1,
    stain: t.stain,
    objects,
    nextId: objects.length + 1,
    threshold: t.threshold,
    scale,
    removed: { nuclei, debris },
    warnings
  }
}

/** Reads (with bounds: see load.ts) and segments a metaphase image file or its bytes. */
export async function segmentMetaphase(
  source: string | Uint8Array,
  options: SegmentOptions & { name?: string } = {}
): Promise<Segmentation> {
  const read = await readMetaphaseImage(source, options.name)
  const seg = await segmentSpread(read.image, options)
  return { ...seg, pixelScale: read.pixelScale, warnings: [...read.warnings, ...seg.warnings] }
}
