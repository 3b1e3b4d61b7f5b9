/**
 * Reads a JPEG stream's frame header (SOFn) without decoding: which process it uses and its precision,
 * so that 8-bit DCT goes to libjpeg-turbo, 12-bit DCT to a 12-bit decoder and lossless to its decoder,
 * whatever the DICOM transfer syntax claims.
 */
export interface JpegFrameHeader {
  /** SOF marker number 0..15 (0 baseline, 1 extended, 2 progressive, 3 lossless, 9+ arithmetic). */
  process: number
  precision: number
  width: number
  height: number
  components: number
}

export function readJpegFrameHeader(bytes: Uint8Array): JpegFrameHeader | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null
  let i = 2
  while (i + 4 <= bytes.length) {
    if (bytes[i] !== 0xff) return null
    const marker = bytes[i + 1]
    if (marker === 0xff) {
      i++ // fill byte
      continue
    }
    const length = (bytes[i + 2] << 8) | bytes[i + 3]
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc
    if (isSof) {
      if (i + 10 > bytes.length) return null
      return {
        process: marker - 0xc0,
        precision: bytes[i + 4],
        height: (bytes[i + 5] << 8) | bytes[i + 6],
        width: (bytes[i + 7] << 8) | bytes[i + 8],
        components: bytes[i + 9]
      }
    }
    if (marker === 0xda || marker === 0xd9) return null // scan or end before any frame header
    i += 2 + length
  }
  return null
}
