/**
 * 12-bit DCT JPEG (DICOM JPEG Extended, process 4), which the 8-bit libjpeg-turbo build cannot decode:
 * decoded by IJG libjpeg built for 12-bit samples, as dcmjs-codecs ships it in WebAssembly. (daikon's
 * JavaScript 12-bit decoder was tried and rejected: it adds a bias of +15 to every sample.) Loaded only
 * when such a file turns up.
 */
import { createRequire } from 'node:module'
import type { DecodedSamples } from './samples'
import { copy16 } from './samples'

type DcmjsCodecs = typeof import('dcmjs-codecs')

let codecs: Promise<DcmjsCodecs> | null = null

function loadCodecs(): Promise<DcmjsCodecs> {
  codecs ??= (async () => {
    // A CommonJS bundle that finds its .wasm beside itself: loaded with require, not bundled.
    const mod = createRequire(import.meta.url)('dcmjs-codecs') as DcmjsCodecs
    await mod.NativeCodecs.initializeAsync({ logCodecsInfo: false, logCodecsTrace: false })
    return mod
  })().catch((err: unknown) => {
    codecs = null
    throw err
  })
  return codecs
}

export async function decodeJpeg12(encoded: Uint8Array, width: number, height: number, signed: boolean): Promise<DecodedSamples> {
  const { Context, NativeCodecs } = await loadCodecs()
  const context = new Context({
    width,
    height,
    bitsAllocated: 16,
    bitsStored: 12,
    samplesPerPixel: 1,
    pixelRepresentation: signed ? 1 : 0,
    planarConfiguration: 0,
    photometricInterpretation: 'MONOCHROME2',
    encodedBuffer: encoded // copied into the module's memory
  })
  const decoded = NativeCodecs.decodeJpeg(context).getDecodedBuffer()
  if (!decoded || decoded.length !== width * height * 2) {
    throw new Error(`the 12-bit JPEG decoded to ${decoded?.length ?? 0} bytes; ${width * height * 2} were expected`)
  }
  return { data: copy16(decoded, false), width, height, components: 1, bitsPerSample: 12, signed: false, planar: false }
}
