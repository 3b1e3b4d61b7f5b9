/** JPEG lossless (process 14, any predictor incl. SV1) through jpeg-lossless-decoder-js. */
import { Decoder } from 'jpeg-lossless-decoder-js'
import type { DecodedSamples } from './samples'

export function decodeJpegLossless(encoded: Uint8Array): DecodedSamples {
  // The decoder reads through a Uint8Array over (buffer, offset, length): the input is never written.
  const decoder = new Decoder()
  const out = decoder.decode(encoded.buffer as ArrayBuffer, encoded.byteOffset, encoded.byteLength)
  const precision = decoder.precision ?? (out instanceof Uint16Array ? 16 : 8)
  return {
    data: out,
    width: decoder.xDim,
    height: decoder.yDim,
    components: decoder.numComp,
    bitsPerSample: precision,
    signed: false,
    planar: false
  }
}
