/** What every pixel codec returns: decoded samples of one frame, before Bits Stored masking. */
export interface DecodedSamples {
  /** Samples, pixel-interleaved (RGBRGB…) unless `planar`. */
  data: Uint8Array | Uint16Array | Int16Array
  width: number
  height: number
  components: number
  /** Bits per sample the codec decoded (the stream's precision). */
  bitsPerSample: number
  /** True when the values are already signed (Int16Array). */
  signed: boolean
  /** True when each component is a separate plane (RR…GG…BB…). */
  planar: boolean
}

/**
 * A plain Uint8Array copy of bytes owned by someone else (the input file, a WebAssembly heap). Not
 * `bytes.slice()`: on a Node Buffer that returns a view on the same memory.
 */
export function copyBytes(bytes: Uint8Array, start = 0, end = bytes.length): Uint8Array {
  return new Uint8Array(bytes.subarray(start, end))
}

/** A 16-bit copy (host byte order, i.e. little endian) of bytes owned by someone else, in new aligned memory. */
export function copy16(bytes: Uint8Array, signed: boolean, count = bytes.length >> 1): Uint16Array | Int16Array {
  const own = copyBytes(bytes, 0, count * 2)
  return signed ? new Int16Array(own.buffer, 0, count) : new Uint16Array(own.buffer, 0, count)
}
