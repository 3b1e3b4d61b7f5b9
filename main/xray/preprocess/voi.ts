/**
 * The grey-scale pipeline of PS3.3 C.11 as numbers: stored value → modality value (Rescale or Modality
 * LUT) → VOI output in 0…1 (window LINEAR / LINEAR_EXACT / SIGMOID, or a VOI LUT) → inverted for
 * MONOCHROME1. Resolving a `VoiChoice` against an image gives the function and a description of it.
 */
import { LabError } from '../../errors'
import type { AppliedVoi, DecodedXray, LookupTable, VoiChoice, WindowFunction } from '../types'

export interface ResolvedVoi {
  applied: AppliedVoi
  /** Modality value → 0…1 (before inversion). */
  voi: (value: number) => number
}

/** Stored value → modality value. */
export function modalityFunction(x: DecodedXray): (stored: number) => number {
  const lut = x.transforms.modalityLut
  if (lut) return (s) => lookup(lut, s)
  const { slope, intercept } = x.transforms.rescale
  if (slope === 1 && intercept === 0) return (s) => s
  return (s) => s * slope + intercept
}

/** The range of modality values the image's present stored values map to (padding left out). */
export function modalityRange(x: DecodedXray): { min: number; max: number } {
  const f = modalityFunction(x)
  const stored = x.transforms.padding?.valueRange ?? x.range
  if (!x.transforms.modalityLut) {
    const a = f(stored.min)
    const b = f(stored.max)
    return { min: Math.min(a, b), max: Math.max(a, b) }
  }
  let min = Infinity
  let max = -Infinity
  for (let s = stored.min; s <= stored.max; s++) {
    const v = f(s)
    if (v < min) min = v
    if (v > max) max = v
  }
  return { min, max }
}

export function resolveVoi(x: DecodedXray, choice: VoiChoice = { kind: 'default' }): ResolvedVoi {
  const invert = x.transforms.invert
  switch (choice.kind) {
    case 'default': {
      if (x.transforms.windows.length > 0) return resolveVoi(x, { kind: 'header-window', index: 0 })
      if (x.transforms.voiLuts.length > 0) return resolveVoi(x, { kind: 'header-lut', index: 0 })
      const plain = !x.image.signed && x.image.bitsStored <= 8 && !x.transforms.modalityLut && x.transforms.rescale.slope === 1 && x.transforms.rescale.intercept === 0
      return resolveVoi(x, { kind: plain ? 'full-scale' : 'full-range' })
    }
    case 'header-window': {
      const w = x.transforms.windows[choice.index]
      if (!w) throw new LabError('invalid_argument', `${x.name} has ${x.transforms.windows.length} window(s) in its header; there is no window ${choice.index + 1}.`, { file: x.name })
      return { applied: { kind: 'window', center: w.center, width: w.width, function: w.function, explanation: w.explanation, invert }, voi: windowFunction(w.center, w.width, w.function) }
    }
    case 'window': {
      const fn = choice.function ?? 'LINEAR'
      if (!(Number.isFinite(choice.center) && Number.isFinite(choice.width) && (fn === 'LINEAR' ? choice.width >= 1 : choice.width > 0))) {
        throw new LabError('invalid_argument', `A window needs a finite centre and a width of at least ${fn === 'LINEAR' ? 1 : 'more than 0'}.`)
      }
      return { applied: { kind: 'window', center: choice.center, width: choice.width, function: fn, explanation: null, invert }, voi: windowFunction(choice.center, choice.width, fn) }
    }
    case 'header-lut': {
      const lut = x.transforms.voiLuts[choice.index]
      if (!lut) throw new LabError('invalid_argument', `${x.name} has ${x.transforms.voiLuts.length} VOI LUT(s) in its header; there is no VOI LUT ${choice.index + 1}.`, { file: x.name })
      const { min, max } = dataRange(lut.data)
      const span = max > min ? max - min : 1
      const last = lut.firstInput + lut.data.length - 1
      return {
        applied: { kind: 'lut', center: (lut.firstInput + last) / 2, width: last - lut.firstInput + 1, function: 'LINEAR', explanation: lut.explanation, invert },
        // Scaled by the table's own output range: tables often declare 16 bits and use 12.
        voi: (v) => (lookup(lut, v) - min) / span
      }
    }
    case 'full-range': {
      const { min, max } = modalityRange(x)
      const width = Math.max(max - min, 1e-6)
      return { applied: { kind: 'full-range', center: (min + max) / 2, width, function: 'LINEAR_EXACT', explanation: null, invert }, voi: windowFunction((min + max) / 2, width, 'LINEAR_EXACT') }
    }
    case 'full-scale': {
      const top = 2 ** x.image.bitsStored - 1
      const lo = x.image.signed ? -(top + 1) / 2 : 0
      const hi = x.image.signed ? (top - 1) / 2 : top
      return { applied: { kind: 'full-scale', center: (lo + hi) / 2, width: hi - lo, function: 'LINEAR_EXACT', explanation: null, invert }, voi: windowFunction((lo + hi) / 2, hi - lo, 'LINEAR_EXACT') }
    }
  }
}

/** PS3.3 C.11.2.1.2: output in 0…1. LINEAR_EXACT with centre (lo+hi)/2 and width hi−lo maps lo→0, hi→1 exactly. */
export function windowFunction(center: number, width: number, fn: WindowFunction): (v: number) => number {
  switch (fn) {
    case 'LINEAR': {
      const lo = center - 0.5 - (width - 1) / 2
      const hi = center - 0.5 + (width - 1) / 2
      const w1 = Math.max(width - 1, 1e-9)
      return (v) => (v <= lo ? 0 : v > hi ? 1 : (v - (center - 0.5)) / w1 + 0.5)
    }
    case 'LINEAR_EXACT': {
      const lo = center - width / 2
      const hi = center + width / 2
      return (v) => (v <= lo ? 0 : v > hi ? 1 : (v - center) / width + 0.5)
    }
    case 'SIGMOID':
      return (v) => 1 / (1 + Math.exp((-4 * (v - center)) / width))
  }
}

function lookup(lut: LookupTable, v: number): number {
  const i = Math.round(v) - lut.firstInput
  return lut.data[i < 0 ? 0 : i >= lut.data.length ? lut.data.length - 1 : i]
}

function dataRange(data: Uint16Array): { min: number; max: number } {
  let min = 65535
  let max = 0
  for (let i = 0; i < data.length; i++) {
    if (data[i] < min) min = data[i]
    if (data[i] > max) max = data[i]
  }
  return { min, max }
}
