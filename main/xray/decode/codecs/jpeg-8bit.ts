/**
 * 8-bit DCT JPEG (DICOM JPEG Baseline). Grey streams go to native libjpeg-turbo through sharp: the same
 * library as the WebAssembly build (identical samples, a test holds it to that) but with SIMD, about a
 * third less CPU, and off the JavaScript thread. Colour streams, and anything sharp refuses, go to the
 * @cornerstonejs/codec-libjpeg-turbo-8bit WebAssembly build, which converts YCbCr to RGB as DICOM expects.
 */
import sharp from 'sharp'
import type { JpegFrameHeader } from './jpeg-header'
import type { DecodedSamples } from './samples'
import { decodeWithWasm } from './wasm-codec'

export async function decodeJpeg8(encoded: Uint8Array, header: JpegFrameHeader, via: 'auto' | 'wasm' | 'native' = 'auto'): Promise<DecodedSamples> {
  if (via !== 'wasm' && header.components === 1) {
    try {
      return await decodeGreyNative(encoded, header)
    } catch (err) {
      if (via === 'native') throw err
      // libvips is stricter with damaged streams than libjpeg-turbo alone: let the WebAssembly build try.
    }
  }
  return decodeWithWasm('JPEGDecoder', encoded)
}

async function decodeGreyNative(encoded: Uint8Array, header: JpegFrameHeader): Promise<DecodedSamples> {
  const { data, info } = await sharp(encoded, { limitInputPixels: false }).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true })
  if (info.width !== header.width || info.height !== header.height || info.channels !== 1) {
    throw new Error(`libvips decoded ${info.width}×${info.height}×${info.channels}, the frame header says ${header.width}×${header.height}×1`)
  }
  // A Buffer of its own (not pooled, not the input): used as it is.
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, components: 1, bitsPerSample: 8, signed: false, planar: false }
}
