/**
 * What the X-ray decoders produce and the preprocessing consumes. Plain data (typed arrays, numbers,
 * strings): structured-clonable, so it can cross a worker or IPC boundary as it is.
 */

/** The file formats Lightbox reads X-rays from. */
export type XrayFormat = 'dicom' | 'png' | 'jpeg' | 'tiff' | 'bmp'

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

/** VOI LUT Function (0028,1056). */
export type WindowFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID'

/** A window (centre/width) in modality units, as in the header or chosen by the user. */
export interface WindowLevel {
  center: number
  width: number
  function: WindowFunction
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
}

/** Physical size of a pixel in mm, and which attribute it came from. */
export interface PixelSpacing {
  /** Distance between rows (vertical) in mm. */
  row: number
  /** Distance between columns (horizontal) in mm. */
  column: number
  /**
   * `PixelSpacing` is in the patient plane (calibrated or corrected); `ImagerPixelSpacing` is at the
   * detector (projection X-rays: magnified by the source-to-detector geometry); `NominalScannedPixelSpacing`
   * is a digitised film's.
   */
  source: 'PixelSpacing' | 'ImagerPixelSpacing' | 'NominalScannedPixelSpacing'
}

/**
 * The attributes a worklist shows and sorts by. Strings as stored (text decoded with the file's
 * Specific Character Set), null when absent or empty. Image files (PNG, JPEG, ...) have all null.
 */
export interface XrayMetadata {
  patientId: string | null
  /** DICOM person name, alphabetic group, e.g. `DOE^JANE` (see `formatPersonName`). */
  patientName: string | null
  patientSex: string | null
  /** e.g. `062Y` */
  patientAge: string | null
  /** ISO date `YYYY-MM-DD` */
  patientBirthDate: string | null
  accessionNumber: string | null
  studyInstanceUid: string | null
  seriesInstanceUid: string | null
  sopInstanceUid: string | null
  sopClassUid: string | null
  /** e.g. CR, DX */
  modality: string | null
  /** e.g. PA, AP, LL */
  viewPosition: string | null
  /** Image or series laterality (L, R). */
  laterality: string | null
  /** e.g. CHEST */
  bodyPart: string | null
  /** ISO date `YYYY-MM-DD` (Study Date, else Series/Acquisition/Content Date). */
  studyDate: string | null
  /** `HH:MM:SS` */
  studyTime: string | null
  studyDescription: string | null
  seriesDescription: string | null
  seriesNumber: number | null
  instanceNumber: number | null
  institutionName: string | null
  manufacturer: string | null
  manufacturerModelName: string | null
}

/** Facts about how the image is encoded (for the viewer's info panel and for sanity checks). */
export interface XrayImageInfo {
  /** Rows × columns of the decoded frame. */
  width: number
  height: number
  /** DICOM Photometric Interpretation, or the image file's colour space (e.g. `MONOCHROME2`, `RGB`). */
  photometric: string
  samplesPerPixel: number
  bitsAllocated: number
  bitsStored: number
  signed: boolean
  /** Frames in the file; only the first is decoded. */
  frames: number
  transferSyntax: { uid: string; name: string } | null
  /** True for lossy compression (JPEG baseline/extended, lossy JPEG-LS/JPEG 2000, JPEG files). */
  lossy: boolean
  pixelSpacing: PixelSpacing | null
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

/** What was applied, in words and numbers (for the viewer's overlay). */
export interface AppliedVoi {
  kind: 'window' | 'lut' | 'full-range' | 'full-scale'
  /** Centre/width in modality units (for a LUT: the range its inputs cover). */
  center: number
  width: number
  function: WindowFunction
  explanation: string | null
  invert: boolean
}
