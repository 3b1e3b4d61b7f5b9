/**
 * Turns a metaphase image into a "foreground-bright" image: chromosomes bright, background near 0 and
 * flat. G-banded spreads (dark on light) are inverted; Q-banded ones (bright on dark) are kept. Uneven
 * illumination is removed by subtracting a smooth background estimated from dark percentiles in blocks.
 */
import sharp from 'sharp'
import type { GreyRaster } from '../../imaging/raster'
import type { Stain } from '../types'

export interface Foreground {
  stain: Stain
  width: number
  height: number
  /** Background-flattened, lightly smoothed, foreground-bright image (0–255). */
  data: Uint8Array
}

/** The background is most of a metaphase image: a bright median means dark chromosomes on light (G). */
export function detectStain(image: GreyRaster<Uint8Array>): Stain {
  const hist = new Uint32Array(256)
  const step = Math.max(1, Math.floor(image.data.length / 200_000))
  let n = 0
  for (let i = 0; i < image.data.length; i += step, n++) hist[image.data[i]]++
  let acc = 0
  for (let v = 0; v < 256; v++) {
    acc += hist[v]
    if (acc >= n / 2) return v >= 128 ? 'G' : 'Q'
  }
  return 'G'
}

/** Background estimate: a low percentile per block, min over neighbouring blocks, bilinear in between. */
export function estimateBackground(data: Uint8Array, width: number, height: number, block: number): Float32Array {
  const bw = Math.max(1, Math.ceil(width / block))
  const bh = Math.max(1, Math.ceil(height / block))
  const grid = new Float32Array(bw * bh)
  const hist = new Uint32Array(256)
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      hist.fill(0)
      let n = 0
      for (let y = by * block; y < Math.min(height, (by + 1) * block); y++) {
        for (let x = bx * block; x < Math.min(width, (bx + 1) * block); x++, n++) hist[data[y * width + x]]++
      }
      let acc = 0
      let v = 0
      for (; v < 255; v++) if ((acc += hist[v]) >= n * 0.1) break
      grid[by * bw + bx] = v
    }
  }
  // A block crowded with chromosomes has no background to measure: trust its darkest neighbour.
  const relaxed = new Float32Array(grid.length)
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      let m = Infinity
      for (let oy = -1; oy <= 1; oy++) {
        for (let ox = -1; ox <= 1; ox++) {
          const x = bx + ox
          const y = by + oy
          if (x >= 0 && y >= 0 && x < bw && y < bh) m = Math.min(m, grid[y * bw + x])
        }
      }
      relaxed[by * bw + bx] = m
    }
  }
  const out = new Float32Array(width * height)
  const colX0 = new Int32Array(width)
  const colX1 = new Int32Array(width)
  const colF = new Float32Array(width)
  for (let x = 0; x < width; x++) {
    const gx = Math.min(bw - 1, Math.max(0, (x + 0.5) / block - 0.5))
    colX0[x] = Math.floor(gx)
    colX1[x] = Math.min(bw - 1, colX0[x] + 1)
    colF[x] = gx - colX0[x]
  }
  for (let y = 0; y < height; y++) {
    const gy = Math.min(bh - 1, Math.max(0, (y + 0.5) / block - 0.5))
    const r0 = Math.floor(gy) * bw
    const r1 = Math.min(bh - 1, Math.floor(gy) + 1) * bw
    const fy = gy - Math.floor(gy)
    for (let x = 0; x < width; x++) {
      const fx = colF[x]
      const top = relaxed[r0 + colX0[x]] * (1 - fx) + relaxed[r0 + colX1[x]] * fx
      const bottom = relaxed[r1 + colX0[x]] * (1 - fx) + relaxed[r1 + colX1[x]] * fx
      out[y * width + x] = top * (1 - fy) + bottom * fy
    }
  }
  return out
}

export interface ForegroundOptions {
  /** 'auto' decides from the histogram. */
  stain?: Stain | 'auto'
  /** Gaussian smoothing before thresholding, in pixels (bridges the gap between sister chromatids). */
  sigma?: number
}

export async function prepareForeground(image: GreyRaster<Uint8Array>, options: ForegroundOptions = {}): Promise<Foreground> {
  const { width, height } = image
  const stain = !options.stain || options.stain === 'auto' ? detectStain(image) : options.stain
  const bright = new Uint8Array(width * height)
  if (stain === 'G') for (let i = 0; i < bright.length; i++) bright[i] = 255 - image.data[i]
  else bright.set(image.data)
  const block = Math.max(16, Math.round(Math.min(width, height) / 12))
  const background = estimateBackground(bright, width, height, block)
  const flat = new Uint8ClampedArray(width * height)
  for (let i = 0; i < flat.length; i++) flat[i] = bright[i] - background[i] + 0.5
  const sigma = options.sigma ?? 1
  if (sigma < 0.3 || width < 3 || height < 3) return { stain, width, height, data: new Uint8Array(flat.buffer) }
  const blurred = await sharp(flat, { raw: { width, height, channels: 1 } }).blur(sigma).extractChannel(0).raw().toBuffer()
  return { stain, width, height, data: new Uint8Array(blurred.buffer, blurred.byteOffset, blurred.length) }
}
