/**
 * What the X-ray decoders produce and the preprocessing consumes. Plain data (typed arrays, numbers,
 * strings): structured-clonable, so it can cross a worker or IPC boundary as it is. The types the
 * renderer also sees (metadata, image facts, windows) are declared once, in the IPC contract.
 */
import type { AppliedVoi, PixelSpacing, WindowFunction, WindowLevel, XrayFormat, XrayImageInfo, XrayMetadata } from '../../preload/api'

export type { AppliedVoi, PixelSpacing, WindowFunction, WindowLevel, XrayFormat, XrayImageInfo, XrayMetadata }

/**
 * Stored pixel values of the first frame, one grey sample per pixel, row-major. Unsigned 8-bit, unsigned
 * or signed 16-bit, exactly as the file stores them (after decompression, masking to Bits Stored and sign
 * extension): the modality and VOI transforms in `PixelTransforms` turn them into display values.
 * Structurally a `GreyRaster` when the data is unsigned.
 */
export type StoredData = Uint8Array | Uint16Array | Int16Array

export interface StoredRaster<D extends StoredData = StoredData> {
  width: number
  height: number
  channels: 1
  data: D
}

/** A lookup table from a Modality LUT or VOI LUT sequence item (PS3.3 C.11.1 / C.11.2). */
export interface LookupTable {
  /** The input value mapped to entry 0; lower inputs take entry 0, higher ones the last entry. */
  firstInput: number
  /** The table's output values. */
  data: Uint16Array
  /** Bits per entry from the LUT Descriptor (8 or 16). */
  bits: number
  explanation: string | null
}

/** How stored values become display values (PS3.3 C.11: modality LUT → VOI LUT → presentation). */
export interface PixelTransforms {
  /** Rescale Slope/Intercept (identity when absent). */
  rescale: { slope: number; intercept: number; type: string | null }
  /** A Modality LUT Sequence item; used instead of `rescale` when present. */
  modalityLut: LookupTable | null
  /** Window centre/width pairs from the header (first is the default), invalid widths dropped. */
  windows: WindowLevel[]
  /** VOI LUT Sequence items from the header. */
  voiLuts: LookupTable[]
  /** MONOCHROME1: low values are white, so the display is inverted after the VOI. */
  invert: boolean
  /**
   * Pixel Padding Value (and Range Limit), in stored units: pixels outside the imaged area, shown black
   * and left out of the full-range window. `valueRange` is the range of the other pixels.
   */
  padding: { from: number; to: number; valueRange: { min: number; max: number } | null } | null
}

/** One decoded X-ray: the stored values of its first frame, how to display them, and its metadata. */
export interface DecodedXray {
  /** The file name used in messages. */
  name: string
  format: XrayFormat
  pixels: StoredRaster
  /** Lowest and highest stored value actually present. */
  range: { min: number; max: number }
  transforms: PixelTransforms
  image: XrayImageInfo
  metadata: XrayMetadata
  /** Bounded results worth telling the user (e.g. "only the first of 16 frames is shown"). */
  warnings: string[]
}

/** The VOI a display or model input was made with, in modality units. */
export type VoiChoice =
  /**
   * The header's first window, else its first VOI LUT, else: unsigned ≤ 8-bit data without rescale
   * as it is ('full-scale', so 8-bit PNGs and DICOMs keep their grey values), other data 'full-range'.
   */
  | { kind: 'default' }
  /** Header window number `index`. */
  | { kind: 'header-window'; index: number }
  /** Header VOI LUT number `index`. */
  | { kind: 'header-lut'; index: number }
  /** A window chosen by the user. */
  | { kind: 'window'; center: number; width: number; function?: WindowFunction }
  /** Lowest to highest value present (LINEAR_EXACT from min to max). */
  | { kind: 'full-range' }
  /** Everything the stored bits can hold, 0 … 2^BitsStored − 1 (8-bit images shown as they are). */
  | { kind: 'full-scale' }

