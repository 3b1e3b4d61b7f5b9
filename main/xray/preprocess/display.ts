/** The image the viewer shows: window-levelled 8-bit grey, at most `maxSide` pixels on its long side. */
import type { GreyRaster } from '../../imaging/raster'
import type { AppliedVoi, DecodedXray, VoiChoice } from '../types'
import { presentationImage } from './present'
import { resizeGrey } from './resize'

export const defaultDisplayMaxSide = 2048

export interface DisplayImage {
  raster: GreyRaster<Uint8Array>
  voi: AppliedVoi
  /** Display pixels per stored pixel (1 when not reduced). Heatmaps and marks scale by this. */
  scale: number
}

export async function displayImage(x: DecodedXray, options: { voi?: VoiChoice; maxSide?: number } = {}): Promise<DisplayImage> {
  const maxSide = options.maxSide ?? defaultDisplayMaxSide
  const { raster, voi } = presentationImage(x, options.voi)
  return shrinkToFit(raster, voi, maxSide)
}

/** Reduces an already presented image to fit `maxSide` (keeps the aspect ratio). */
export async function shrinkToFit(raster: GreyRaster<Uint8Array>, voi: AppliedVoi, maxSide = defaultDisplayMaxSide): Promise<DisplayImage> {
  const long = Math.max(raster.width, raster.height)
  if (long <= maxSide) return { raster, voi, scale: 1 }
  const scale = maxSide / long
  const width = Math.max(1, Math.round(raster.width * scale))
  const height = Math.max(1, Math.round(raster.height * scale))
  return { raster: await resizeGrey(raster, width, height), voi, scale }
}
