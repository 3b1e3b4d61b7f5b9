/**
 * Normalisation of each chromosome for the classifier: straightened upright along its (parabola-fitted)
 * medial axis, cropped, scaled into a fixed-size canvas, intensities normalised per chromosome and
 * written dark-on-white for both stains (inverted Q-bands look like G-bands: Q-bright bands are the
 * G-dark ones). Kept as features: length, length relative to the cell, and a centromere estimate (the
 * primary constriction: the narrowest row of the straightened mask away from the ends).
 *
 * Polarity: 'keep' leaves the top at the top (gband dataset crops are upright, p-arm up); 'auto' turns
 * the chromosome so that its estimated shorter arm (the p-arm) is on top. The classifier's polarity head
 * has the last word either way.
 */
import { Image, computeThreshold } from 'image-js'
import { LabError } from '../../errors'
import type { GreyRaster } from '../../imaging/raster'
import { prepareForeground } from '../segmentation/foreground'
import { fillHoles, labelComponents, maskArea, masksFromLabels } from '../segmentation/mask-ops'
import { medialAxis } from '../segmentation/skeleton'
import { distanceTransform } from '../segmentation/distance'
import type { ChromosomeObject, ObjectMask, Segmentation, Stain } from '../types'
import { straighten, type Straightened } from './straighten'

export interface NormaliseOptions {
  /** Output canvas (classifier input) size. */
  size?: { width: number; height: number }
  polarity?: 'keep' | 'auto'
  /** 'fit': each chromosome fills the canvas height (its size is kept in `length`); a number: output px per source px. */
  scale?: 'fit' | number
}

export const defaultNormaliseSize = { width: 48, height: 96 }

export interface NormalisedChromosome {
  /** Object id (null for a single crop). */
  id: string | null
  width: number
  height: number
  /** Dark chromosome on white, row-major 8-bit grey. */
  data: Uint8Array
  stain: Stain
  /** Length along the centre line in source pixels. */
  length: number
  /** Length over the sum of the cell's chromosome lengths (null when not known, e.g. a lone crop). */
  relativeLength: number | null
  /** Centromere position from the top of the output chromosome, 0–1 (null when no constriction is found). */
  centromere: number | null
  /** Shorter arm over length, 0–0.5 (0.5 metacentric … ≈0.15 acrocentric); null with `centromere`. */
  centromereIndex: number | null
  /** True when 'auto' polarity turned the chromosome upside down. */
  flipped: boolean
  /** Output pixels per source pixel. */
  scale: number
  /** Long axis angle from vertical in the source (degrees) and the fitted bend (pixels of sag). */
  angle: number
  bend: number
}

/** Row widths of the straightened mask, smoothed; the narrowest row away from the ends is the centromere. */
export function estimateCentromere(st: Straightened): { row: number; top: number; bottom: number } | null {
  const widths: number[] = []
  let top = -1
  let bottom = -1
  for (let r = 0; r < st.height; r++) {
    let n = 0
    for (let c = 0; c < st.width; c++) n += st.mask[r * st.width + c]
    widths.push(n)
    if (n > 0) {
      if (top < 0) top = r
      bottom = r
    }
  }
  const len = bottom - top + 1
  if (top < 0 || len < 8) return null
  const k = Math.max(1, Math.round(len / 25))
  const smooth = widths.map((_, r) => {
    let s = 0
    let m = 0
    for (let j = r - k; j <= r + k; j++) if (j >= top && j <= bottom) ((s += widths[j]), m++)
    return m ? s / m : 0
  })
  // Not into the round ends (acrocentric centromeres, right at an end, are not found this way).
  const lo = top + Math.max(2, Math.round(0.1 * len))
  const hi = bottom - Math.max(2, Math.round(0.1 * len))
  let best = -1
  for (let r = lo; r <= hi; r++) if (best < 0 || smooth[r] < smooth[best]) best = r
  if (best < 0) return null
  // A constriction must be narrower than the arms on both sides.
  const maxAbove = Math.max(...smooth.slice(top, best + 1))
  const maxBelow = Math.max(...smooth.slice(best, bottom + 1))
  if (smooth[best] > 0.92 * Math.min(maxAbove, maxBelow)) return null
  return { row: best, top, bottom }
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0
  const s = [...values].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]
}

/** Crop, flip, intensity-normalise and scale a straightened strip into the output canvas. */
export function finishNormalisation(st: Straightened, stain: Stain, id: string | null, options: NormaliseOptions): NormalisedChromosome {
  const size = options.size ?? defaultNormaliseSize
  if (!(size.width >= 4 && size.height >= 4 && size.width <= 1024 && size.height <= 1024)) {
    throw new LabError('invalid_argument', `The normalised size must be between 4 and 1024 pixels a side (got ${size.width}×${size.height}).`)
  }
  // Content box of the mask.
  let r0 = st.height
  let r1 = -1
  let c0 = st.width
  let c1 = -1
  for (let r = 0; r < st.height; r++) {
    for (let c = 0; c < st.width; c++) {
      if (!st.mask[r * st.width + c]) continue
      if (r < r0) r0 = r
      if (r > r1) r1 = r
      if (c < c0) c0 = c
      if (c > c1) c1 = c
    }
  }
  if (r1 < 0) throw new LabError('bad_input', 'There is no chromosome to normalise (the mask is empty).')
  const cen = estimateCentromere(st)
  let flipped = false
  if (options.polarity === 'auto' && cen && cen.row - cen.top > cen.bottom - cen.row) flipped = true
  const h = r1 - r0 + 1
  const w = c1 - c0 + 1
  const inside: number[] = []
  for (let i = 0; i < st.data.length; i++) if (st.mask[i]) inside.push(st.data[i])
  const hi = Math.max(1, percentile(inside, 0.98))
  // Dark on white: background 255, the chromosome's densest 2% near 0.
  const crop = new Uint8Array(w * h)
  for (let r = 0; r < h; r++) {
    const sr = flipped ? r1 - r : r0 + r
    for (let c = 0; c < w; c++) {
      const i = sr * st.width + c0 + c
      const v = st.mask[i] ? Math.min(1, st.data[i] / hi) : 0
      crop[r * w + c] = Math.round(255 * (1 - 0.92 * v))
    }
  }
  const margin = 2
  let scale = options.scale === undefined || options.scale === 'fit' ? Math.min((size.height - margin) / h, (size.width - margin) / w) : options.scale
  if (!(scale > 0)) throw new LabError('invalid_argument', `The normalisation scale must be a positive number (got ${options.scale}).`)
  scale = Math.min(scale, (size.height - margin) / h, (size.width - margin) / w)
  const tw = Math.max(1, Math.round(w * scale))
  const th = Math.max(1, Math.round(h * scale))
  const resized = new Image(w, h, { data: crop, colorModel: 'GREY' }).resize({ width: tw, height: th, interpolationType: 'bilinear' })
  const src = resized.getRawImage().data
  const data = new Uint8Array(size.width * size.height).fill(255)
  const ox = Math.floor((size.width - tw) / 2)
  const oy = Math.floor((size.height - th) / 2)
  for (let r = 0; r < th; r++) for (let c = 0; c < tw; c++) data[(r + oy) * size.width + c + ox] = src[r * tw + c]
  let centromere: number | null = null
  let centromereIndex: number | null = null
  if (cen) {
    const along = (cen.row - cen.top) / Math.max(1, cen.bottom - cen.top)
    centromere = flipped ? 1 - along : along
    centromereIndex = Math.min(along, 1 - along)
  }
  return {
    id,
    width: size.width,
    height: size.height,
    data,
    stain,
    length: st.length,
    relativeLength: null,
    centromere,
    centromereIndex,
    flipped,
    scale,
    angle: st.angle,
    bend: st.bend
  }
}

/** Masked, foreground-bright intensities of one object, in its box (neighbours' pixels are zero). */
function objectIntensities(fg: Uint8Array, imageWidth: number, mask: ObjectMask): Float32Array {
  const out = new Float32Array(mask.data.length)
  const { x, y, width } = mask.box
  for (let i = 0; i < out.length; i++) {
    if (mask.data[i]) out[i] = fg[(y + ((i / width) | 0)) * imageWidth + x + (i % width)]
  }
  return out
}

function halfWidthOf(mask: ObjectMask): number {
  const dt = distanceTransform(mask)
  let max = 0
  for (let i = 0; i < dt.length; i++) if (dt[i] > max) max = dt[i]
  return Math.max(3, 1.8 * max + 2)
}

/** Normalises every object of a segmented cell; relative lengths are over the cell's objects. */
export async function normaliseCell(
  image: GreyRaster<Uint8Array>,
  seg: Segmentation,
  options: NormaliseOptions = {}
): Promise<NormalisedChromosome[]> {
  if (image.width !== seg.width || image.height !== seg.height) {
    throw new LabError('invalid_argument', `The image is ${image.width}×${image.height} but the segmentation is ${seg.width}×${seg.height}.`)
  }
  const fg = await prepareForeground(image, { stain: seg.stain, sigma: 0 })
  const opts = { polarity: 'auto' as const, ...options }
  const out = seg.objects.map((o) => normaliseObjectWith(fg.data, image.width, o, seg.stain, opts))
  const total = out.reduce((s, n) => s + n.length, 0)
  for (const n of out) n.relativeLength = total > 0 ? n.length / total : null
  return out
}

function normaliseObjectWith(fg: Uint8Array, imageWidth: number, o: ChromosomeObject, stain: Stain, options: NormaliseOptions): NormalisedChromosome {
  const intensities = objectIntensities(fg, imageWidth, o.mask)
  const st = straighten(o.mask, intensities, o.medialAxis, halfWidthOf(o.mask))
  return finishNormalisation(st, stain, o.id, options)
}

export interface CropOptions extends NormaliseOptions {
  /** 'auto' looks at the crop's border: light means G (dark on light), dark means Q. */
  stain?: Stain | 'auto'
  /** Sum of the lengths of the cell's chromosomes, to fill relativeLength. */
  cellLength?: number
}

/** Measures the border of a crop: its median is the background level. */
function borderMedian(img: GreyRaster<Uint8Array>): number {
  const v: number[] = []
  const { width: w, height: h, data } = img
  for (let x = 0; x < w; x++) v.push(data[x], data[(h - 1) * w + x])
  for (let y = 0; y < h; y++) v.push(data[y * w], data[y * w + w - 1])
  return percentile(v, 0.5)
}

/**
 * Normalises one chromosome crop, in either dataset's form: gband (dark on white, upright, p-arm up:
 * polarity kept by default) or qband (bright on black, any orientation: polarity 'auto' by default).
 */
export function normaliseCrop(crop: GreyRaster<Uint8Array>, options: CropOptions = {}): NormalisedChromosome {
  if (crop.width < 3 || crop.height < 3) throw new LabError('bad_input', `A chromosome crop of ${crop.width}×${crop.height} pixels is too small.`)
  const background = borderMedian(crop)
  const stain: Stain = !options.stain || options.stain === 'auto' ? (background >= 128 ? 'G' : 'Q') : options.stain
  // Padded so the chromosome never touches the edge (thinning and straightening want a margin).
  const pad = 4
  const w = crop.width + 2 * pad
  const h = crop.height + 2 * pad
  const fg = new Uint8Array(w * h)
  for (let y = 0; y < crop.height; y++) {
    for (let x = 0; x < crop.width; x++) {
      const v = crop.data[y * crop.width + x]
      fg[(y + pad) * w + x + pad] = Math.max(0, stain === 'G' ? background - v : v - background)
    }
  }
  const th = Math.max(8, computeThreshold(new Image(w, h, { data: fg, colorModel: 'GREY' }), { algorithm: 'otsu' }) * 0.6)
  const bin = new Uint8Array(w * h)
  for (let i = 0; i < bin.length; i++) bin[i] = fg[i] > th ? 1 : 0
  const { labels, count } = labelComponents(bin, w, h, true)
  const parts = masksFromLabels(labels, w, h, count).map(fillHoles)
  if (parts.length === 0) throw new LabError('bad_input', 'No chromosome was found in the crop (it is blank).')
  // The chromosome is the largest object; bits of neighbours cut into the crop are dropped.
  const mask = parts.reduce((a, b) => (maskArea(b) > maskArea(a) ? b : a))
  const intensities = objectIntensities(fg, w, mask)
  const st = straighten(mask, intensities, medialAxis(mask).points, halfWidthOf(mask))
  const out = finishNormalisation(st, stain, null, { polarity: stain === 'G' ? 'keep' : 'auto', ...options })
  if (options.cellLength && options.cellLength > 0) out.relativeLength = out.length / options.cellLength
  return out
}
