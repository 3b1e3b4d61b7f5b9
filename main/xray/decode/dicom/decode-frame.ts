/**
 * Decodes the first frame of a DICOM's pixel data with the codec its transfer syntax (and, for JPEG, its
 * own frame header) calls for, and checks the result against the header's size.
 */
import type { DataSet } from 'dicom-parser'
import { LabError } from '../../../errors'
import { decodeJpeg12 } from '../codecs/jpeg-12bit'
import { decodeJpeg8 } from '../codecs/jpeg-8bit'
import { readJpegFrameHeader } from '../codecs/jpeg-header'
import { decodeJpegLossless } from '../codecs/jpeg-lossless'
import { decodeNative } from '../codecs/native'
import { decodeRle } from '../codecs/rle'
import type { DecodedSamples } from '../codecs/samples'
import { decodeWithWasm } from '../codecs/wasm-codec'
import { encapsulatedFrameBytes, nativeFrameBytes } from './frame-bytes'
import type { PixelModule } from './pixel-module'
import type { TransferSyntax } from './transfer-syntax'

export async function decodeFirstFrame(ds: DataSet, pm: PixelModule, syntax: TransferSyntax, name: string): Promise<DecodedSamples> {
  const codec = syntax.codec
  if (codec === null) {
    throw new LabError('unsupported', `${name} uses transfer syntax ${syntax.uid} (${syntax.name}), which is not supported.`, {
      file: name,
      feature: `transfer syntax ${syntax.uid}`,
      transferSyntax: syntax.uid
    })
  }
  if (codec === 'native' || codec === 'native-big-endian') {
    const { bytes, vr } = nativeFrameBytes(ds, pm, name)
    const bigEndian = codec === 'native-big-endian'
    return decodeNative(bytes, pm.columns, pm.rows, pm.samplesPerPixel, pm.bitsAllocated, bigEndian, bigEndian && vr === 'OW' && pm.bitsAllocated === 8, pm.planarConfiguration === 1)
  }
  const { bytes } = encapsulatedFrameBytes(ds, pm, syntax, name)
  let samples: DecodedSamples
  try {
    samples = await decodeCompressed(codec, bytes, pm, syntax, name)
  } catch (err) {
    if (err instanceof LabError) throw err
    throw new LabError('bad_input', `${name} is damaged: its ${syntax.name} pixel data could not be decoded (${codecMessage(err)}).`, {
      file: name,
      transferSyntax: syntax.uid
    })
  }
  if (samples.width !== pm.columns || samples.height !== pm.rows) {
    throw new LabError(
      'bad_input',
      `${name} is inconsistent: its header says ${pm.columns}×${pm.rows} but the compressed image is ${samples.width}×${samples.height}.`,
      { file: name }
    )
  }
  if (samples.components !== pm.samplesPerPixel) {
    throw new LabError(
      'bad_input',
      `${name} is inconsistent: its header says ${pm.samplesPerPixel} samples per pixel but the compressed image has ${samples.components}.`,
      { file: name }
    )
  }
  return samples
}

async function decodeCompressed(
  codec: Exclude<TransferSyntax['codec'], null | 'native' | 'native-big-endian'>,
  bytes: Uint8Array,
  pm: PixelModule,
  syntax: TransferSyntax,
  name: string
): Promise<DecodedSamples> {
  switch (codec) {
    case 'rle':
      return decodeRle(bytes, pm.columns, pm.rows, pm.samplesPerPixel, pm.bitsAllocated)
    case 'jpeg-ls':
      return decodeWithWasm('JpegLSDecoder', bytes)
    case 'jpeg-2000':
      return decodeWithWasm('J2KDecoder', bytes)
    case 'jpeg':
    case 'jpeg-lossless': {
      // Route by the stream's own frame header: files are sometimes labelled with the wrong JPEG syntax.
      const header = readJpegFrameHeader(bytes)
      if (!header) throw new Error('no JPEG frame header (SOF) before the image data')
      if (header.process >= 9) {
        throw new LabError('unsupported', `${name} uses arithmetic-coded JPEG, which is not supported.`, {
          file: name,
          feature: 'arithmetic-coded JPEG',
          transferSyntax: syntax.uid
        })
      }
      if (header.process === 3 || header.process === 7) return decodeJpegLossless(bytes)
      if (header.precision === 8) return decodeJpeg8(bytes, header)
      if (header.precision === 12) {
        if (header.components !== 1) {
          throw new LabError('unsupported', `${name} holds 12-bit colour JPEG, which is not supported.`, {
            file: name,
            feature: '12-bit colour JPEG',
            transferSyntax: syntax.uid
          })
        }
        return decodeJpeg12(bytes, header.width, header.height, pm.signed)
      }
      throw new LabError('unsupported', `${name} holds ${header.precision}-bit DCT JPEG, which is not supported (8 and 12 bit are).`, {
        file: name,
        feature: `JPEG precision ${header.precision}`,
        transferSyntax: syntax.uid
      })
    }
  }
}

/** Codec errors arrive as Errors, strings, or bare numbers (Emscripten C++ exceptions). */
function codecMessage(err: unknown): string {
  if (err instanceof Error) return err.message.replace(/^Error:\s*/, '')
  if (typeof err === 'number') return 'the codec stopped with an internal error'
  return String(err)
}
