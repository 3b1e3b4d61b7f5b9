/**
 * Decoded samples → one grey stored value per pixel: colour reduced to luminance, bits outside Bits
 * Stored dropped (overlays and padding bits live there), and signed values sign-extended.
 */
import type { StoredData, StoredRaster } from '../../types'
import type { DecodedSamples } from '../codecs/samples'
import type { PixelModule } from './pixel-module'

export interface StoredResult {
  raster: StoredRaster
  warnings: string[]
}

/** `compressed`: decoded by an image codec (JPEG family, JPEG 2000) rather than native words (incl. RLE). */
export function toStoredPixels(samples: DecodedSamples, pm: PixelModule, compressed: boolean): StoredResult {
  const warnings: string[] = []
  let grey = samples.data
  if (samples.components === 3) {
    grey = luminance(samples, pm, compressed)
    warnings.push(`This is a colour image (${pm.photometric}); it is shown in grey.`)
  }
  const data = compressed ? signCompressed(grey, samples, pm) : maskNative(grey, pm)
  return { raster: { width: samples.width, height: samples.height, channels: 1, data }, warnings }
}

/** Lowest and highest value outside [from, to]; null when every pixel is padding. */
export function valueRangeOutside(data: StoredData, from: number, to: number): { min: number; max: number } | null {
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    if (v >= from && v <= to) continue
    if (v < min) min = v
    if (v > max) max = v
  }
  return min <= max ? { min, max } : null
}

/**
 * `valueRange`, computed on first use and then kept: presenting 8-bit images does not need it, and a
 * pass over a megapixel in JavaScript costs a few milliseconds (the pixels are never changed after decoding).
 */
export function lazyValueRange(data: StoredData): () => { min: number; max: number } {
  let range: { min: number; max: number } | null = null
  return () => (range ??= valueRange(data))
}

/** Lowest and highest value present. One loop per array type keeps each loop monomorphic (fast). */
export function valueRange(data: StoredData): { min: number; max: number } {
  if (data.length === 0) return { min: 0, max: 0 }
  if (data instanceof Uint8Array) return range8(data)
  if (data instanceof Uint16Array) return range16(data)
  return rangeSigned16(data)
}

function range8(data: Uint8Array): { min: number; max: number } {
  let min = 255
  let max = 0
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    if (v < min) min = v
    if (v > max) max = v
  }
  return { min, max }
}

function range16(data: Uint16Array): { min: number; max: number } {
  let min = 65535
  let max = 0
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    if (v < min) min = v
    if (v > max) max = v
  }
  return { min, max }
}

function rangeSigned16(data: Int16Array): { min: number; max: number } {
  let min = 32767
  let max = -32768
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    if (v < min) min = v
    if (v > max) max = v
  }
  return { min, max }
}

/**
 * Grey from three samples. Codecs for JPEG, JPEG-LS and JPEG 2000 hand back RGB; native and RLE data keep
 * the header's colour space, where a YBR_* image's first sample already is the luminance.
 */
function luminance(samples: DecodedSamples, pm: PixelModule, compressed: boolean): StoredData {
  const n = samples.width * samples.height
  const src = samples.data
  const out = src instanceof Uint8Array ? new Uint8Array(n) : src instanceof Int16Array ? new Int16Array(n) : new Uint16Array(n)
  const ybr = !compressed && pm.photometric.startsWith('YBR')
  if (ybr && pm.photometric === 'YBR_FULL_422') {
    // Uncompressed 4:2:2: Y1 Y2 Cb Cr for each pair of pixels.
    for (let p = 0; p < n; p += 2) {
      out[p] = src[2 * p]
      if (p + 1 < n) out[p + 1] = src[2 * p + 1]
    }
    return out
  }
  const [stepC, stepP] = samples.planar ? [n, 1] : [1, 3]
  for (let p = 0; p < n; p++) {
    const i = p * stepP
    if (ybr) out[p] = src[i]
    else out[p] = Math.round(0.299 * src[i] + 0.587 * src[i + stepC] + 0.114 * src[i + 2 * stepC])
  }
  return out
}

/** Native data: take bits (highBit−bitsStored+1 … highBit) and sign-extend them for signed data. */
function maskNative(data: StoredData, pm: PixelModule): StoredData {
  const shift = pm.highBit + 1 - pm.bitsStored
  const full = pm.bitsStored === pm.bitsAllocated && shift === 0
  if (!pm.signed) {
    if (full) return data
    const mask = (1 << pm.bitsStored) - 1
    for (let i = 0; i < data.length; i++) data[i] = (data[i] >> shift) & mask
    return data
  }
  if (full && data instanceof Uint16Array) return new Int16Array(data.buffer, data.byteOffset, data.length)
  return signExtend(data, pm.bitsStored, shift)
}

/** Compressed data: codecs decode unsigned bit patterns of their precision unless they say otherwise. */
function signCompressed(data: StoredData, samples: DecodedSamples, pm: PixelModule): StoredData {
  if (!pm.signed || samples.signed || data instanceof Int16Array) return data
  if (samples.bitsPerSample === 16 && data instanceof Uint16Array) return new Int16Array(data.buffer, data.byteOffset, data.length)
  return signExtend(data, samples.bitsPerSample, 0)
}

function signExtend(data: StoredData, bits: number, shift: number): Int16Array {
  const out = new Int16Array(data.length)
  const mask = (1 << bits) - 1
  const sign = 1 << (bits - 1)
  for (let i = 0; i < data.length; i++) {
    const v = (data[i] >> shift) & mask
    out[i] = v & sign ? v - (mask + 1) : v
  }
  return out
}
