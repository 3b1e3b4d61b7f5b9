/**
 * Types for the codec packages that ship none. Only what Lightbox calls is declared.
 */

/** The decoder classes of the @cornerstonejs/codec-* WebAssembly builds (Emscripten embind). */
interface CornerstoneFrameInfo {
  width: number
  height: number
  bitsPerSample: number
  componentCount: number
  isSigned: boolean
}

interface CornerstoneDecoder {
  getEncodedBuffer(length: number): Uint8Array
  getDecodedBuffer(): Uint8Array
  decode(): void
  getFrameInfo(): CornerstoneFrameInfo
  delete(): void
}

interface CornerstoneCodecModule {
  JPEGDecoder?: new () => CornerstoneDecoder
  JpegLSDecoder?: new () => CornerstoneDecoder
  J2KDecoder?: new () => CornerstoneDecoder
}

type CornerstoneCodecFactory = (options?: object) => Promise<CornerstoneCodecModule>

declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs' {
  const factory: CornerstoneCodecFactory
  export default factory
}
declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  const factory: CornerstoneCodecFactory
  export default factory
}
declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  const factory: CornerstoneCodecFactory
  export default factory
}

declare module 'jpeg-lossless-decoder-js' {
  /** JPEG lossless (ITU T.81 process 14) decoder. */
  export class Decoder {
    constructor(buffer?: ArrayBuffer, numBytes?: number)
    /** Output is Uint8Array for precision ≤ 8, Uint16Array above (unsigned). */
    decode(buffer: ArrayBuffer, offset: number, length: number, numBytes?: number): Uint8Array | Uint16Array
    precision?: number
    numComp: number
    xDim: number
    yDim: number
  }
}
