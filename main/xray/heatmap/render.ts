/**
 * Heatmaps as pictures: a saliency grid resampled (bilinear) onto the display image, coloured
 * (transparent → yellow → red as the evidence grows) and blended over the grey image, encoded as PNG by
 * sharp. For reports, the README's figures and the CLI; the app's viewer draws its own overlay.
 */
import sharp from 'sharp'
import type { XrayHeatmap } from '../../../preload/api'
import type { GreyRaster } from '../../imaging/raster'

/** The grid value at display pixel (x, y), 0 outside the heatmap's region. */
export function heatAt(h: Pick<XrayHeatmap, 'width' | 'height' | 'values' | 'region'>, x: number, y: number): number {
  const u = ((x + 0.5 - h.region.x) / h.region.width) * h.width - 0.5
  const v = ((y + 0.5 - h.region.y) / h.region.height) * h.height - 0.5
  if (u < -0.5 || v < -0.5 || u > h.width - 0.5 || v > h.height - 0.5) return 0
  const cu = Math.min(h.width - 1, Math.max(0, u))
  const cv = Math.min(h.height - 1, Math.max(0, v))
  const x0 = Math.floor(cu)
  const y0 = Math.floor(cv)
  const x1 = Math.min(h.width - 1, x0 + 1)
  const y1 = Math.min(h.height - 1, y0 + 1)
  const fx = cu - x0
  const fy = cv - y0
  const g = h.values
  return (g[y0 * h.width + x0] * (1 - fx) + g[y0 * h.width + x1] * fx) * (1 - fy) + (g[y1 * h.width + x0] * (1 - fx) + g[y1 * h.width + x1] * fx) * fy
}

/** RGB overlay of the heatmap on the display image. */
export function overlayRgb(display: GreyRaster<Uint8Array>, heat: Pick<XrayHeatmap, 'width' | 'height' | 'values' | 'region'>, opacity = 0.55): Uint8Array {
  const out = new Uint8Array(display.width * display.height * 3)
  for (let y = 0; y < display.height; y++) {
    for (let x = 0; x < display.width; x++) {
      const grey = display.data[y * display.width + x]
      const v = heatAt(heat, x, y)
      const a = v > 0.2 ? opacity * Math.min(1, (v - 0.2) / 0.3) : 0
      // yellow (255, 230, 0) at the edge of the evidence to red (230, 0, 0) at its peak
      const r = 255 - 25 * v
      const g = 230 * (1 - v)
      const o = (y * display.width + x) * 3
      out[o] = grey * (1 - a) + r * a
      out[o + 1] = grey * (1 - a) + g * a
      out[o + 2] = grey * (1 - a)
    }
  }
  return out
}

export async function overlayPng(display: GreyRaster<Uint8Array>, heat: Pick<XrayHeatmap, 'width' | 'height' | 'values' | 'region'>): Promise<Uint8Array> {
  const rgb = overlayRgb(display, heat)
  return new Uint8Array(await sharp(rgb, { raw: { width: display.width, height: display.height, channels: 3 } }).png().toBuffer())
}
