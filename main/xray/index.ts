/**
 * X-ray engine, decoding and preprocessing half. Everything here is plain Node (no Electron) and
 * runs in the main process or a worker thread.
 *
 * ## Decode: any supported file → DecodedXray
 *
 *   const x = await decodeXray(pathOrBytes, { name })   // format sniffed from the bytes
 *
 * - DICOM Part 10 (and bare data sets): implicit/explicit little endian, explicit big endian, deflated,
 *   RLE, JPEG baseline 8-bit and extended 12-bit, JPEG lossless (process 14, SV1), JPEG-LS, JPEG 2000;
 *   PNG, JPEG, TIFF (8/16-bit), BMP. Only the first frame / page is decoded (a warning says so).
 * - `x.pixels`: stored values of frame 1 (Uint8Array, Uint16Array or Int16Array, one per pixel, colour
 *   reduced to luminance); `x.range`: their min/max.
 * - `x.transforms`: rescale or modality LUT, header windows, VOI LUTs, `invert` (MONOCHROME1).
 * - `x.image`: size, photometric, bits, frames, transfer syntax, lossy, `pixelSpacing` (mm, with source).
 * - `x.metadata`: worklist fields (patient ID/name, study/series/SOP UIDs, modality, view position,
 *   laterality, body part, study date/time, descriptions, manufacturer…), null when absent.
 * - `x.warnings`: bounded results in words (multi-frame, colour shown in grey, assumed attributes).
 * - Failures are LabErrors naming the file and the problem: code 'bad_input' for truncated/damaged files
 *   (details.problem 'truncated' | 'corrupt' where known), 'unsupported' with details.feature for a
 *   valid file using something Lightbox does not do (e.g. "transfer syntax 1.2.840.10008.1.2.4.100 (MPEG2)").
 * - The input bytes are never written to.
 *
 * ## Present: stored values → 8-bit grey
 *
 *   const { raster, voi } = presentationImage(x, choice?)   // full resolution, GreyRaster<Uint8Array>
 *
 * `choice` (VoiChoice) defaults to the header's first window, else its first VOI LUT, else the full range
 * (8-bit unsigned data without rescale is shown as it is: a PNG or 8-bit DICOM keeps its grey values).
 * MONOCHROME1 is inverted here, so every presented image has "higher = brighter".
 *
 * ## Display image and model input
 *
 *   const display = await displayImage(x, { voi, maxSide: 2048 })     // {raster, voi, scale}
 *   const input = await modelInput(raster, manifest.inputs[0], { fit: 'stretch' })
 *   // input.data: Float32Array (or Uint8Array for uint8 inputs), input.dims [1,C,H,W] | [1,H,W,C],
 *   // input.region: which part of the image the tensor shows (to put heatmaps back on the display).
 *
 * `modelInput` takes any presented 8-bit grey raster (from `presentationImage`), resizes it with the
 * backbone's antialiased bilinear filter, repeats grey into the spec's channels and applies
 * (pixel/scale − mean)/std. With `fit: 'stretch'` (default) the tensor is bit-identical to
 * main/ml/backbone/preprocess.ts `imagesToTensor` (tested), so features from either path agree; it is
 * several times faster and writes into a batch tensor with `{ into: batch, offset: k * C * H * W }`.
 * 'letterbox' and 'center-crop' keep the aspect ratio; `input.region` says where the image lies.
 *
 * For the feature cache (main/ml/features/extract.ts), pass `decode: xrayRaster` so that DICOMs and
 * 16-bit images are windowed the same way as everywhere else.
 *
 * ## IPC and CLI
 *
 * `xray.view` (preload/api.ts) decodes a study's bytes for the viewer: metadata, image facts, header
 * windows, the applied VOI and the display image (8-bit grey, ≤ 2048 px). `lightbox xray-info <file>`
 * prints the same and can save the display image (`--png`). `npm run bench -- xray-decode` times it.
 *
 * `prepareXray(source, { inputSpec })` does all three in one go (one decode, one presentation).
 */
import type { GreyRaster } from '../imaging/raster'
import type { InputSpec } from '../ml/registry/manifest'
import { decodeXray, type DecodeOptions } from './decode'
import { shrinkToFit, type DisplayImage } from './preprocess/display'
import { modelInput, type ModelInput, type ModelInputOptions } from './preprocess/model-input'
import { presentationImage } from './preprocess/present'
import type { DecodedXray, VoiChoice } from './types'

export { decodeXray, sniffFormat, type DecodeOptions } from './decode'
export { formatPersonName } from './decode/dicom/text'
export { supportedTransferSyntaxes, transferSyntax } from './decode/dicom/transfer-syntax'
export * from './preprocess'
export type * from './types'

/** Decode + default presentation: the 8-bit grey raster the models see (a `decode` hook for feature extraction). */
export async function xrayRaster(source: string | Uint8Array, name?: string, voi?: VoiChoice): Promise<GreyRaster<Uint8Array>> {
  return presentationImage(await decodeXray(source, { name }), voi).raster
}

export interface PreparedXray {
  decoded: DecodedXray
  display: DisplayImage
  /** Present when an input spec was given. */
  input: ModelInput | null
}

export async function prepareXray(
  source: string | Uint8Array,
  options: DecodeOptions & { voi?: VoiChoice; maxSide?: number; inputSpec?: InputSpec; input?: ModelInputOptions } = {}
): Promise<PreparedXray> {
  const decoded = await decodeXray(source, options)
  const { raster, voi } = presentationImage(decoded, options.voi)
  const [display, input] = await Promise.all([
    shrinkToFit(raster, voi, options.maxSide),
    options.inputSpec ? modelInput(raster, options.inputSpec, options.input) : Promise.resolve(null)
  ])
  return { decoded, display, input }
}
