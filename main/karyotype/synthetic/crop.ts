/** A single synthetic chromosome as a crop (like the gband/qband datasets' images), with known polarity. */
import { createGrey, type GreyRaster } from '../../imaging/raster'
import { chromosomeBands, type BandResolution } from '../ideogram/parse'
import { loadIdeogram } from '../ideogram/load'
import type { ChromosomeType, Point, Stain } from '../types'
import { renderChromosome } from './chromosome'

export interface SyntheticCropOptions {
  type: ChromosomeType
  /** Direction from the p terminal to the q terminal, radians from the x axis (π/2: upright, p at the top). */
  angle?: number
  /** Turn of the centre line over its length, radians. */
  bend?: number
  length?: number
  width?: number
  stain?: Stain
  resolution?: BandResolution
  margin?: number
}

export interface SyntheticCrop {
  image: GreyRaster<Uint8Array>
  /** Where the p and q terminals and the centromere are in the crop. */
  pEnd: Point
  qEnd: Point
  centromere: Point
}

export function syntheticChromosomeCrop(options: SyntheticCropOptions): SyntheticCrop {
  const bands = chromosomeBands(loadIdeogram(options.resolution ?? 550), options.type)
  const length = options.length ?? (bands.length / 15100) * 110
  const width = options.width ?? 15
  const r = renderChromosome({ bands, cx: 0, cy: 0, angle: options.angle ?? Math.PI / 2, length, width, curvature: (options.bend ?? 0) / length })
  const margin = options.margin ?? 4
  const { box } = r.mask
  const w = box.width + 2 * margin
  const h = box.height + 2 * margin
  const data = new Uint8Array(w * h)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const lx = x - margin
      const ly = y - margin
      const d = lx >= 0 && ly >= 0 && lx < box.width && ly < box.height ? r.density[ly * box.width + lx] : 0
      data[y * w + x] = options.stain === 'Q' ? Math.round(10 + 235 * d) : Math.round(252 * (1 - d))
    }
  }
  const shift = (p: Point): Point => [p[0] - box.x + margin, p[1] - box.y + margin]
  return { image: createGrey(w, h, data), pEnd: shift(r.axis[0]), qEnd: shift(r.axis[r.axis.length - 1]), centromere: shift(r.centromere) }
}
