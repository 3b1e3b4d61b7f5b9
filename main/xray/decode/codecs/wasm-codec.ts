/**
 * The @cornerstonejs/codec-* WebAssembly decoders (libjpeg-turbo, CharLS, OpenJPEG), loaded once each,
 * lazily: a study that never needs JPEG 2000 never loads OpenJPEG. The encoded bytes are copied into the
 * module's memory and the decoded ones copied out, so neither the input nor the result aliases the heap.
 */
import { copy16, copyBytes, type DecodedSamples } from './samples'

type DecoderClass = 'JPEGDecoder' | 'JpegLSDecoder' | 'J2KDecoder'

const loaders: Record<DecoderClass, () => Promise<CornerstoneCodecFactory>> = {
  JPEGDecoder: async () => (await import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs')).default,
  JpegLSDecoder: async () => (await import('@cornerstonejs/codec-charls/decodewasmjs')).default,
  J2KDecoder: async () => (await import('@cornerstonejs/codec-openjpeg/decodewasmjs')).default
}

/** The codecs print progress (OpenJPEG's [INFO] lines) and warnings to stdout/stderr; errors still throw. */
const quiet = { print: () => {}, printErr: () => {} }

const modules = new Map<DecoderClass, Promise<CornerstoneCodecModule>>()

function loadModule(cls: DecoderClass): Promise<CornerstoneCodecModule> {
  let m = modules.get(cls)
  if (!m) {
    m = loaders[cls]().then((factory) => factory(quiet))
    // A failed load (or an aborted module, see below) is retried on the next call.
    m.catch(() => modules.delete(cls))
    modules.set(cls, m)
  }
  return m
}

/** Loads a codec ahead of time (e.g. before a benchmark's timed loop). */
export async function preloadCodec(cls: DecoderClass): Promise<void> {
  await loadModule(cls)
}

/** Decodes one encoded frame. Throws the codec's own error (often a bare number: an Emscripten exception). */
export async function decodeWithWasm(cls: DecoderClass, encoded: Uint8Array): Promise<DecodedSamples> {
  const mod = await loadModule(cls)
  const Decoder = mod[cls]
  if (!Decoder) throw new Error(`the codec module has no ${cls}`)
  const decoder = new Decoder()
  try {
    decoder.getEncodedBuffer(encoded.length).set(encoded)
    decoder.decode()
    const info = decoder.getFrameInfo()
    const out = decoder.getDecodedBuffer()
    const data = info.bitsPerSample > 8 ? copy16(out, info.isSigned) : copyBytes(out)
    return {
      data,
      width: info.width,
      height: info.height,
      components: info.componentCount,
      bitsPerSample: info.bitsPerSample,
      signed: info.bitsPerSample > 8 && info.isSigned,
      planar: false
    }
  } catch (err) {
    // An Emscripten abort leaves the module unusable: load it afresh next time.
    if (err instanceof WebAssembly.RuntimeError) modules.delete(cls)
    throw err
  } finally {
    try {
      decoder.delete()
    } catch {
      // already gone with an aborted module
    }
  }
}
