/** Uncompressed pixel data: copied out of the file's bytes into new arrays (little or big endian). */
import { copy16, copyBytes, type DecodedSamples } from './samples'

export function decodeNative(
  bytes: Uint8Array,
  width: number,
  height: number,
  components: number,
  bitsAllocated: 8 | 16,
  bigEndian: boolean,
  /** 8-bit data written as OW in big endian has each pair of bytes swapped (PS3.5 §7.1.2). */
  swap8BitWords: boolean,
  /** Planar Configuration 1: colour samples stored plane by plane. */
  planar: boolean
): DecodedSamples {
  const count = width * height * components
  if (bitsAllocated === 8) {
    const data = copyBytes(bytes, 0, count)
    if (swap8BitWords) {
      for (let i = 0; i + 1 < count; i += 2) {
        const t = data[i]
        data[i] = data[i + 1]
        data[i + 1] = t
      }
    }
    return { data, width, height, components, bitsPerSample: 8, signed: false, planar }
  }
  let data: Uint16Array
  if (!bigEndian && isLittleEndianHost) {
    data = copy16(bytes, false, count) as Uint16Array
  } else {
    data = new Uint16Array(count)
    const view = new DataView(bytes.buffer, bytes.byteOffset, count * 2)
    for (let i = 0; i < count; i++) data[i] = view.getUint16(2 * i, !bigEndian)
  }
  return { data, width, height, components, bitsPerSample: 16, signed: false, planar }
}

const isLittleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
