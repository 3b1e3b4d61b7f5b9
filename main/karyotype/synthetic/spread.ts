/**
 * Synthetic G- (or Q-) banded metaphase spreads with exact ground truth, from the ideogram band data:
 * chromosome lengths in proportion to their ISCN lengths, centromeres and bands where the ideogram puts
 * them, random bends and orientations, optional touching pairs, crossing (overlapping) pairs, a nucleus
 * and debris, uneven illumination, blur and noise. Seeded: the same options give the same image.
 * For tests and the demo case; not a substitute for real spreads in evaluation.
 */
import sharp from 'sharp'
import { createGrey, type GreyRaster } from '../../imaging/raster'
import { iscnFromCounts } from '../iscn/format'
import { chromosomeBands, type BandResolution } from '../ideogram/parse'
import { loadIdeogram } from '../ideogram/load'
import { chromosomeTypes, type ChromosomeType, type ObjectMask, type Point, type Stain } from '../types'
import { renderChromosome, type ChromosomeShape, type RenderedChromosome } from './chromosome'
import { Rng } from './rng'

export interface SyntheticSpreadOptions {
  seed: number
  width?: number
  height?: number
  stain?: Stain
  /** The chromosomes to draw; default a normal cell of `sex`. */
  karyotype?: ChromosomeType[]
  sex?: 'XX' | 'XY'
  resolution?: BandResolution
  /** Length of chromosome 1 in pixels; the others in proportion. */
  chromosome1Length?: number
  /** Chromosome width in pixels. */
  chromosomeWidth?: number
  /** Largest bend, as the angle (radians) the centre line turns over its length. */
  maxBend?: number
  /** Pairs of chromosomes placed touching end to side, and pairs placed crossing each other. */
  touchingPairs?: number
  overlappingPairs?: number
  nucleus?: boolean
  debris?: number
  /** Gaussian noise (grey levels) and blur (pixels). */
  noise?: number
  blur?: number
  /** Illumination falling off by this fraction from one corner to the other. */
  illumination?: number
}

export interface SyntheticChromosome {
  id: string
  type: ChromosomeType
  /** Full extent of the chromosome (under overlaps too). */
  mask: ObjectMask
  /** Centre line from the p terminal to the q terminal, and the centromere. */
  axis: Point[]
  centromere: Point
  length: number
  /** Ids of the chromosomes it touches / crosses on purpose. */
  touching: string[]
  overlapping: string[]
}

export interface SyntheticSpread {
  image: GreyRaster<Uint8Array>
  stain: Stain
  karyotype: string
  chromosomes: SyntheticChromosome[]
  nuclei: ObjectMask[]
  debris: number
}

export function normalKaryotype(sex: 'XX' | 'XY'): ChromosomeType[] {
  const out: ChromosomeType[] = []
  for (const t of chromosomeTypes) {
    if (t === 'X') out.push(...(sex === 'XX' ? (['X', 'X'] as const) : (['X'] as const)))
    else if (t === 'Y') {
      if (sex === 'XY') out.push('Y')
    } else out.push(t, t)
  }
  return out
}

interface Placed {
  id: string
  type: ChromosomeType
  shape: ChromosomeShape
  rendered: RenderedChromosome
  touching: string[]
  overlapping: string[]
}

/** Occupancy grid of the spread: which chromosome covers each pixel (grown by `gap` to keep them apart). */
class Occupancy {
  readonly owner: Int32Array
  constructor(readonly width: number, readonly height: number) {
    this.owner = new Int32Array(width * height).fill(-1)
  }
  /** Does the mask, grown by `gap`, stay inside the image and off everyone except `allowed`? */
  fits(mask: ObjectMask, gap: number, margin: number, allowed: Set<number> = new Set()): boolean {
    const { box, data } = mask
    if (box.x < margin || box.y < margin || box.x + box.width > this.width - margin || box.y + box.height > this.height - margin) return false
    for (let y = 0; y < box.height; y++) {
      for (let x = 0; x < box.width; x++) {
        if (!data[y * box.width + x]) continue
        for (let oy = -gap; oy <= gap; oy++) {
          for (let ox = -gap; ox <= gap; ox++) {
            const gx = box.x + x + ox
            const gy = box.y + y + oy
            if (gx < 0 || gy < 0 || gx >= this.width || gy >= this.height) continue
            const o = this.owner[gy * this.width + gx]
            if (o >= 0 && !allowed.has(o)) return false
          }
        }
      }
    }
    return true
  }
  /** Number of pixels of the mask that touch or overlap chromosome `other`. */
  contact(mask: ObjectMask, other: number): number {
    let n = 0
    const { box, data } = mask
    for (let y = 0; y < box.height; y++) {
      for (let x = 0; x < box.width; x++) {
        if (!data[y * box.width + x]) continue
        let hit = false
        for (let oy = -1; oy <= 1 && !hit; oy++) {
          for (let ox = -1; ox <= 1 && !hit; ox++) {
            const gx = box.x + x + ox
            const gy = box.y + y + oy
            if (gx >= 0 && gy >= 0 && gx < this.width && gy < this.height && this.owner[gy * this.width + gx] === other) hit = true
          }
        }
        if (hit) n++
      }
    }
    return n
  }
  mark(mask: ObjectMask, who: number): void {
    const { box, data } = mask
    for (let y = 0; y < box.height; y++) {
      for (let x = 0; x < box.width; x++) {
        const gx = box.x + x
        const gy = box.y + y
        if (data[y * box.width + x] && gx >= 0 && gy >= 0 && gx < this.width && gy < this.height) this.owner[gy * this.width + gx] = who
      }
    }
  }
}

export async function syntheticSpread(options: SyntheticSpreadOptions): Promise<SyntheticSpread> {
  const rng = new Rng(options.seed)
  const width = options.width ?? 700
  const height = options.height ?? 560
  const stain = options.stain ?? 'G'
  const ideogram = loadIdeogram(options.resolution ?? 550)
  const karyotype = options.karyotype ?? normalKaryotype(options.sex ?? 'XY')
  const len1 = options.chromosome1Length ?? 110
  const chrWidth = options.chromosomeWidth ?? 15
  const maxBend = options.maxBend ?? 0.6
  const unit = len1 / chromosomeBands(ideogram, '1').length
  const occupancy = new Occupancy(width, height)
  const placed: Placed[] = []
  const order = rng.shuffle(karyotype.map((type, i) => ({ type, i })))
  const touching = Math.min(options.touchingPairs ?? 0, Math.floor(order.length / 2))
  const overlapping = Math.min(options.overlappingPairs ?? 0, Math.floor(order.length / 2) - touching)
  const cellR = Math.min(width, height) * 0.46

  const makeShape = (type: ChromosomeType, cx: number, cy: number, angle: number): ChromosomeShape => {
    const bands = chromosomeBands(ideogram, type)
    const length = Math.max(chrWidth * 1.2, bands.length * unit * rng.uniform(0.92, 1.08))
    const bend = rng.uniform(-maxBend, maxBend)
    return { bands, cx, cy, angle, length, width: chrWidth * rng.uniform(0.92, 1.08), curvature: bend / length }
  }
  const randomSpot = () => {
    const r = cellR * Math.sqrt(rng.next())
    const t = rng.uniform(0, 2 * Math.PI)
    return [width / 2 + r * Math.cos(t) * (width / Math.min(width, height)) * 0.95, height / 2 + r * Math.sin(t)]
  }
  const place = (p: Placed) => {
    occupancy.mark(p.rendered.mask, placed.length)
    placed.push(p)
  }

  let k = 0
  for (const { type } of order) {
    const id = `s${placed.length + 1}`
    const partnerIndex = placed.length - 1
    const wantTouch = k % 2 === 1 && Math.floor(k / 2) < touching
    const wantCross = k % 2 === 1 && Math.floor(k / 2) >= touching && Math.floor(k / 2) < touching + overlapping
    k++
    let done = false
    if ((wantTouch || wantCross) && partnerIndex >= 0) {
      const partner = placed[partnerIndex]
      for (let attempt = 0; attempt < 60 && !done; attempt++) {
        if (wantCross) {
          // Cross the partner near its middle at a clear angle.
          const angle = partner.shape.angle + rng.uniform(0.6, Math.PI - 0.6)
          const t = rng.uniform(-0.25, 0.25) * partner.shape.length
          const cx = partner.shape.cx + Math.cos(partner.shape.angle) * t
          const cy = partner.shape.cy + Math.sin(partner.shape.angle) * t
          const shape = makeShape(type, cx, cy, angle)
          shape.curvature = 0
          const rendered = renderChromosome(shape)
          if (occupancy.fits(rendered.mask, 2, 2, new Set([partnerIndex]))) {
            place({ id, type, shape, rendered, touching: [], overlapping: [partner.id] })
            partner.overlapping.push(id)
            done = true
          }
        } else {
          // Slide in from a random direction until the new chromosome just touches the partner.
          const dir = rng.uniform(0, 2 * Math.PI)
          const angle = rng.uniform(0, 2 * Math.PI)
          let best: { shape: ChromosomeShape; rendered: RenderedChromosome } | null = null
          // Drawn once, then moved by whole pixels (a translated drawing is the same drawing).
          const start = partner.shape.length / 2 + 80
          const base = makeShape(type, partner.shape.cx + Math.cos(dir) * start, partner.shape.cy + Math.sin(dir) * start, angle)
          base.cx = Math.round(base.cx)
          base.cy = Math.round(base.cy)
          const drawn = renderChromosome(base)
          for (let dist = start; dist > 0; dist -= 1) {
            const dx = Math.round(Math.cos(dir) * (dist - start))
            const dy = Math.round(Math.sin(dir) * (dist - start))
            const shape = { ...base, cx: base.cx + dx, cy: base.cy + dy }
            const rendered = translate(drawn, dx, dy)
            if (!occupancy.fits(rendered.mask, 0, 2, new Set([partnerIndex]))) break
            if (!occupancy.fits(rendered.mask, 0, 2)) break
            best = { shape, rendered }
            if (occupancy.contact(rendered.mask, partnerIndex) >= 3) break
          }
          if (best && occupancy.contact(best.rendered.mask, partnerIndex) >= 3 && occupancy.fits(best.rendered.mask, 2, 2, new Set([partnerIndex]))) {
            place({ id, type, ...best, touching: [partner.id], overlapping: [] })
            partner.touching.push(id)
            done = true
          }
        }
      }
    }
    for (let attempt = 0; attempt < 400 && !done; attempt++) {
      const [cx, cy] = attempt < 300 ? randomSpot() : [rng.uniform(0, width), rng.uniform(0, height)]
      const shape = makeShape(type, cx, cy, rng.uniform(0, 2 * Math.PI))
      const rendered = renderChromosome(shape)
      if (occupancy.fits(rendered.mask, 4, 3)) {
        place({ id, type, shape, rendered, touching: [], overlapping: [] })
        done = true
      }
    }
    if (!done) throw new Error(`No room for chromosome ${type} in a ${width}×${height} synthetic spread; make it larger or the chromosomes smaller.`)
  }

  // Optical density adds up where chromosomes overlap (transmission multiplies).
  const transmission = new Float32Array(width * height).fill(1)
  const paint = (density: Float32Array, box: ObjectMask['box']) => {
    for (let y = 0; y < box.height; y++) {
      for (let x = 0; x < box.width; x++) {
        const gx = box.x + x
        const gy = box.y + y
        if (gx < 0 || gy < 0 || gx >= width || gy >= height) continue
        transmission[gy * width + gx] *= 1 - density[y * box.width + x]
      }
    }
  }
  for (const p of placed) paint(p.rendered.density, p.rendered.mask.box)
  const nuclei: ObjectMask[] = []
  if (options.nucleus) nuclei.push(drawNucleus(rng, occupancy, chrWidth * 9, paint))
  let debris = 0
  for (let d = 0; d < (options.debris ?? 0); d++) if (drawSpeck(rng, occupancy, paint)) debris++

  const illum = options.illumination ?? 0
  const noise = options.noise ?? 3
  const grey = new Uint8ClampedArray(width * height)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const light = 1 - illum * ((x / width + y / height) / 2)
      const i = y * width + x
      const dark = 1 - transmission[i]
      const v = stain === 'G' ? 250 * light * transmission[i] : 15 + 230 * light * dark
      grey[i] = v + noise * rng.normal()
    }
  }
  const blur = options.blur ?? 0.8
  let data = new Uint8Array(grey.buffer)
  if (blur >= 0.3) {
    const out = await sharp(data, { raw: { width, height, channels: 1 } }).blur(blur).extractChannel(0).raw().toBuffer()
    data = new Uint8Array(out.buffer, out.byteOffset, out.length)
  }
  const counts = Object.fromEntries(chromosomeTypes.map((t) => [t, 0])) as Record<ChromosomeType, number>
  for (const t of karyotype) counts[t]++
  return {
    image: createGrey(width, height, data),
    stain,
    karyotype: iscnFromCounts(counts),
    chromosomes: placed.map((p) => ({
      id: p.id,
      type: p.type,
      mask: p.rendered.mask,
      axis: p.rendered.axis,
      centromere: p.rendered.centromere,
      length: p.shape.length,
      touching: p.touching,
      overlapping: p.overlapping
    })),
    nuclei,
    debris
  }
}

function translate(r: RenderedChromosome, dx: number, dy: number): RenderedChromosome {
  return {
    density: r.density,
    mask: { box: { ...r.mask.box, x: r.mask.box.x + dx, y: r.mask.box.y + dy }, data: r.mask.data },
    axis: r.axis.map(([x, y]) => [x + dx, y + dy] as Point),
    centromere: [r.centromere[0] + dx, r.centromere[1] + dy]
  }
}

function drawNucleus(
  rng: Rng,
  occupancy: Occupancy,
  diameter: number,
  paint: (density: Float32Array, box: ObjectMask['box']) => void
): ObjectMask {
  const r = diameter / 2
  const gap = 6
  const free = (cx: number, cy: number) => {
    for (let y = Math.floor(cy - r - gap); y <= cy + r + gap; y++) {
      for (let x = Math.floor(cx - r - gap); x <= cx + r + gap; x++) {
        if (x < 0 || y < 0 || x >= occupancy.width || y >= occupancy.height) continue
        if (Math.hypot(x - cx, y - cy) <= r + gap && occupancy.owner[y * occupancy.width + x] !== -1) return false
      }
    }
    return true
  }
  for (let attempt = 0; attempt < 300; attempt++) {
    const cx = rng.uniform(r + 2, occupancy.width - r - 2)
    const cy = rng.uniform(r + 2, occupancy.height - r - 2)
    if (!free(cx, cy)) continue
    const box = { x: Math.floor(cx - r - 1), y: Math.floor(cy - r - 1), width: Math.ceil(2 * r + 3), height: Math.ceil(2 * r + 3) }
    const data = new Uint8Array(box.width * box.height)
    const density = new Float32Array(box.width * box.height)
    for (let y = 0; y < box.height; y++) {
      for (let x = 0; x < box.width; x++) {
        if (Math.hypot(box.x + x - cx, box.y + y - cy) > r) continue
        data[y * box.width + x] = 1
        // Chromatin texture: a nucleus is mottled, not flat.
        density[y * box.width + x] = 0.55 + 0.1 * Math.sin((box.x + x) * 0.4) * Math.cos((box.y + y) * 0.35)
      }
    }
    const mask = { box, data }
    occupancy.mark(mask, -2)
    paint(density, box)
    return mask
  }
  throw new Error('No room for a nucleus in the synthetic spread.')
}

function drawSpeck(rng: Rng, occupancy: Occupancy, paint: (density: Float32Array, box: ObjectMask['box']) => void): boolean {
  const size = rng.int(1, 2)
  for (let attempt = 0; attempt < 50; attempt++) {
    const box = { x: rng.int(2, occupancy.width - 6), y: rng.int(2, occupancy.height - 6), width: size, height: size }
    const mask = { box, data: new Uint8Array(size * size).fill(1) }
    if (occupancy.fits(mask, 4, 1)) {
      paint(new Float32Array(size * size).fill(0.7), box)
      return true
    }
  }
  return false
}
