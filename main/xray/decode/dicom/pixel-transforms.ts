/**
 * The header's recipe for turning stored values into display values (PS3.3 C.11): Modality LUT (Rescale
 * Slope/Intercept or a Modality LUT Sequence), VOI LUT (Window Center/Width with its function, or VOI LUT
 * Sequence items) and the presentation (MONOCHROME1 / INVERSE shows low values white).
 */
import type { DataSet, Element } from 'dicom-parser'
import type { LookupTable, PixelTransforms, WindowFunction, WindowLevel } from '../../types'
import type { PixelModule } from './pixel-module'
import type { TextReader } from './text'

export interface TransformsResult {
  transforms: PixelTransforms
  warnings: string[]
}

export function readPixelTransforms(ds: DataSet, pm: PixelModule, text: TextReader): TransformsResult {
  const warnings: string[] = []
  let slope = ds.floatString('x00281053') ?? 1
  const intercept = ds.floatString('x00281052') ?? 0
  if (!Number.isFinite(slope) || slope === 0) {
    warnings.push(`Rescale Slope ${String(ds.string('x00281053'))} is not usable; read as 1.`)
    slope = 1
  }
  const modalityItem = ds.elements['x00283000']?.items?.[0]?.dataSet
  const modalityLut = modalityItem ? readLut(modalityItem, pm.signed, null) : null
  if (ds.elements['x00283000'] && !modalityLut) warnings.push('The Modality LUT Sequence is unreadable and was ignored.')
  const voiLuts: LookupTable[] = []
  for (const item of ds.elements['x00283010']?.items ?? []) {
    if (!item.dataSet) continue
    const lut = readLut(item.dataSet, pm.signed || intercept < 0, item.dataSet.string('x00283003')?.trim() || null)
    if (lut) voiLuts.push(lut)
    else warnings.push('A VOI LUT Sequence item is unreadable and was ignored.')
  }
  const presentationShape = (ds.string('x20500020') ?? '').trim().toUpperCase()
  return {
    transforms: {
      rescale: { slope, intercept: Number.isFinite(intercept) ? intercept : 0, type: ds.string('x00281054')?.trim() || null },
      modalityLut,
      windows: readWindows(ds, text),
      voiLuts,
      invert: pm.photometric === 'MONOCHROME1' || presentationShape === 'INVERSE',
      padding: readPadding(ds, pm)
    },
    warnings
  }
}

/** Pixel Padding Value (0028,0120) and Range Limit (0028,0121): US or SS as Pixel Representation says. */
function readPadding(ds: DataSet, pm: PixelModule): PixelTransforms['padding'] {
  const read = (tag: string) => {
    const el = ds.elements[tag]
    if (!el || el.length < 2) return null
    const v = ds.uint16(tag)
    if (v === undefined) return null
    return pm.signed && v > 0x7fff ? v - 0x10000 : v
  }
  const value = read('x00280120')
  if (value === null) return null
  const limit = read('x00280121') ?? value
  return { from: Math.min(value, limit), to: Math.max(value, limit), valueRange: null }
}

function readWindows(ds: DataSet, text: TextReader): WindowLevel[] {
  const count = Math.min(ds.numStringValues('x00281050') ?? 0, ds.numStringValues('x00281051') ?? 0)
  const fn = parseFunction(ds.string('x00281056'))
  const windows: WindowLevel[] = []
  for (let i = 0; i < count; i++) {
    const center = ds.floatString('x00281050', i)
    const width = ds.floatString('x00281051', i)
    if (center === undefined || width === undefined || !Number.isFinite(center) || !Number.isFinite(width)) continue
    // LINEAR needs width ≥ 1; the others > 0. Width 0 (a common "unset") is dropped.
    if (fn === 'LINEAR' ? width < 1 : width <= 0) continue
    windows.push({ center, width, function: fn, explanation: text.text('x00281055', i) })
  }
  return windows
}

function parseFunction(value: string | undefined): WindowFunction {
  const v = (value ?? '').trim().toUpperCase()
  return v === 'SIGMOID' || v === 'LINEAR_EXACT' ? v : 'LINEAR'
}

/**
 * A LUT item: LUT Descriptor (0028,3002) = [entries (0 means 65536), first input value, bits per entry]
 * and LUT Data (0028,3006), 16-bit words, or bytes when the data is exactly one byte per entry.
 */
function readLut(item: DataSet, signedInput: boolean, explanation: string | null): LookupTable | null {
  const descriptor = item.elements['x00283002']
  const dataEl = item.elements['x00283006']
  if (!descriptor || !dataEl || descriptor.length < 6 || dataEl.length === 0) return null
  const entries = item.uint16('x00283002', 0) || 65536
  const rawFirst = item.uint16('x00283002', 1) ?? 0
  const firstInput = signedInput && rawFirst > 0x7fff ? rawFirst - 0x10000 : rawFirst
  const bits = item.uint16('x00283002', 2) ?? 16
  const data = readLutData(item, dataEl, entries)
  if (!data) return null
  return { firstInput, data, bits, explanation }
}

function readLutData(item: DataSet, el: Element, entries: number): Uint16Array | null {
  const bytes = item.byteArray
  const end = Math.min(el.dataOffset + el.length, bytes.length)
  if (el.length === entries) {
    // One byte per entry (8-bit tables written as OB, or OW packed two entries per word).
    const out = new Uint16Array(entries)
    for (let i = 0; i < entries && el.dataOffset + i < end; i++) out[i] = bytes[el.dataOffset + i]
    return out
  }
  if (el.length < entries * 2) return null
  const out = new Uint16Array(entries)
  for (let i = 0; i < entries; i++) {
    const at = el.dataOffset + 2 * i
    if (at + 2 > end) return null
    out[i] = item.byteArrayParser.readUint16(bytes, at)
  }
  return out
}
