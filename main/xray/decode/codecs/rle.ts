/**
 * DICOM RLE Lossless (PS3.5 Annex G): a 64-byte header of up to 15 segment offsets, each segment a
 * PackBits stream of one byte plane (most significant byte first, per sample). No maintained npm codec
 * does this on its own (it lives inside viewers), and it is a few lines, so it is written here.
 */
import type { DecodedSamples } from './samples'

export function decodeRle(encoded: Uint8Array, width: number, height: number, components: number, bitsAllocated: 8 | 16): DecodedSamples {
  if (encoded.length < 64) throw new Error('the RLE header is shorter than 64 bytes')
  const view = new DataView(encoded.buffer, encoded.byteOffset, encoded.byteLength)
  const segments = view.getUint32(0, true)
  const bytesPerSample = bitsAllocated / 8
  if (segments !== components * bytesPerSample) {
    throw new Error(`the RLE header lists ${segments} segments; ${components * bytesPerSample} are needed`)
  }
  const pixels = width * height
  const planes: Uint8Array[] = []
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + 4 * s, true)
    const end = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : encoded.length
    if (start < 64 || start > encoded.length || end < start || end > encoded.length) {
      throw new Error(`RLE segment ${s + 1} lies outside the data (offset ${start})`)
    }
    planes.push(unpackBits(encoded, start, end, pixels))
  }
  // Segments are ordered sample by sample, most significant byte first; the result is planar.
  if (bytesPerSample === 1) {
    const data = new Uint8Array(pixels * components)
    for (let c = 0; c < components; c++) data.set(planes[c], c * pixels)
    return { data, width, height, components, bitsPerSample: 8, signed: false, planar: components > 1 }
  }
  const data = new Uint16Array(pixels * components)
  for (let c = 0; c < components; c++) {
    const hi = planes[2 * c]
    const lo = planes[2 * c + 1]
    const base = c * pixels
    for (let i = 0; i < pixels; i++) data[base + i] = (hi[i] << 8) | lo[i]
  }
  return { data, width, height, components, bitsPerSample: 16, signed: false, planar: components > 1 }
}

/** PackBits: n ≥ 0 copies n+1 literal bytes, n in −127..−1 repeats the next byte 1−n times, −128 is a no-op. */
function unpackBits(src: Uint8Array, start: number, end: number, size: number): Uint8Array {
  const out = new Uint8Array(size)
  let i = start
  let o = 0
  while (i < end && o < size) {
    const n = (src[i++] << 24) >> 24
    if (n >= 0) {
      const count = Math.min(n + 1, size - o, end - i)
      out.set(src.subarray(i, i + count), o)
      i += n + 1
      o += count
    } else if (n !== -128) {
      const count = Math.min(1 - n, size - o)
      out.fill(src[i++], o, o + count)
      o += count
    }
  }
  if (o < size) throw new Error(`an RLE segment decodes to ${o} bytes; ${size} are needed`)
  return out
}
