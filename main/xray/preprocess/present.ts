/**
 * Stored values → the 8-bit grey image a reader sees, at full resolution. The whole pipeline (modality,
 * VOI, inversion) is folded into one table over the stored values present, then applied with one lookup
 * per pixel: a 1024×1024 image takes a couple of milliseconds.
 */
import { createGrey, type GreyRaster } from '../../imaging/raster'
import type { AppliedVoi, DecodedXray, StoredData, VoiChoice } from '../types'
import { modalityFunction, resolveVoi } from './voi'

export interface Presentation {
  raster: GreyRaster<Uint8Array>
  voi: AppliedVoi
}

export function presentationImage(x: DecodedXray, choice: VoiChoice = { kind: 'default' }): Presentation {
  const { applied, voi } = resolveVoi(x, choice)
  const modality = modalityFunction(x)
  // 8-bit values: a table over all 256 (as cheap to fill as one over the values present, and no pass over
  // the pixels to find those); wider values: a table over the range present.
  const { min, max } = x.pixels.data instanceof Uint8Array ? { min: 0, max: 255 } : x.range
  const table = new Uint8Array(max - min + 1)
  for (let s = min; s <= max; s++) {
    const y = Math.round(voi(modality(s)) * 255)
    const clamped = y < 0 ? 0 : y > 255 ? 255 : y
    table[s - min] = applied.invert ? 255 - clamped : clamped
  }
  // Padding (outside the imaged area) is black whatever the window.
  const padding = x.transforms.padding
  if (padding) for (let s = Math.max(min, padding.from); s <= Math.min(max, padding.to); s++) table[s - min] = 0
  return { raster: createGrey(x.pixels.width, x.pixels.height, applyTable(x.pixels.data, table, min)), voi: applied }
}

/** One loop per array type keeps each loop monomorphic (fast). */
function applyTable(data: StoredData, table: Uint8Array, offset: number): Uint8Array {
  if (data instanceof Uint8Array && isIdentity(table, offset)) return data.slice() // a copy: memcpy, not a lookup per pixel
  const out = new Uint8Array(data.length)
  if (data instanceof Uint8Array) {
    if (offset === 0) for (let i = 0; i < data.length; i++) out[i] = table[data[i]]
    else for (let i = 0; i < data.length; i++) out[i] = table[data[i] - offset]
  } else if (data instanceof Uint16Array) {
    for (let i = 0; i < data.length; i++) out[i] = table[data[i] - offset]
  } else {
    for (let i = 0; i < data.length; i++) out[i] = table[data[i] - offset]
  }
  return out
}

function isIdentity(table: Uint8Array, offset: number): boolean {
  for (let i = 0; i < table.length; i++) if (table[i] !== i + offset) return false
  return true
}
