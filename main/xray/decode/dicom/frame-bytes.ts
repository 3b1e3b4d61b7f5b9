/**
 * The bytes of the first frame of Pixel Data (7FE0,0010): a slice of the native data, or the compressed
 * fragments of frame 1 (PS3.5 A.4). Slices are views on the file's bytes: read only, never written.
 */
import dicomParser, { type DataSet, type Element, type Fragment } from 'dicom-parser'
import { LabError } from '../../../errors'
import type { PixelModule } from './pixel-module'
import type { TransferSyntax } from './transfer-syntax'

export interface FrameBytes {
  bytes: Uint8Array
  /** The Pixel Data element's VR as written (explicit syntaxes), e.g. OB or OW. */
  vr: string | null
}

export function nativeFrameBytes(ds: DataSet, pm: PixelModule, name: string): FrameBytes {
  const el = pixelDataElement(ds)
  if (el.encapsulatedPixelData) {
    throw new LabError('bad_input', `${name} is inconsistent: its pixel data is compressed (encapsulated) but its transfer syntax says uncompressed.`, {
      file: name
    })
  }
  const frameSize = (pm.rows * pm.columns * pm.samplesPerPixel * pm.bitsAllocated) / 8
  const available = Math.min(el.length, ds.byteArray.length - el.dataOffset)
  if (available < frameSize) {
    throw new LabError(
      'bad_input',
      `${name} is truncated: its pixel data holds ${Math.max(0, available)} bytes but a ${pm.columns}×${pm.rows} frame needs ${frameSize}.`,
      { file: name, problem: 'truncated' }
    )
  }
  return { bytes: ds.byteArray.subarray(el.dataOffset, el.dataOffset + frameSize), vr: el.vr ?? null }
}

export function encapsulatedFrameBytes(ds: DataSet, pm: PixelModule, syntax: TransferSyntax, name: string): FrameBytes {
  const el = pixelDataElement(ds)
  if (!el.encapsulatedPixelData) {
    throw new LabError('bad_input', `${name} is inconsistent: its transfer syntax is ${syntax.name} but its pixel data is not compressed (encapsulated).`, {
      file: name
    })
  }
  const fragments = el.fragments ?? []
  if (fragments.length === 0) {
    throw new LabError('bad_input', `${name} is truncated or damaged: its compressed pixel data has no fragments.`, { file: name, problem: 'truncated' })
  }
  const end = ds.byteArray.length
  for (const f of fragments) {
    if (f.position + f.length > end) {
      throw new LabError('bad_input', `${name} is truncated: a compressed pixel data fragment runs past the end of the file (${end} bytes).`, {
        file: name,
        problem: 'truncated'
      })
    }
  }
  try {
    const offsets = el.basicOffsetTable ?? []
    if (pm.frames > 1 && offsets.length > 0) {
      return { bytes: dicomParser.readEncapsulatedImageFrame(ds, el, 0, offsets, fragments), vr: el.vr ?? null }
    }
    const count = pm.frames === 1 ? fragments.length : fragmentsOfFirstFrame(ds, fragments, pm.frames)
    return { bytes: dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, count, fragments), vr: el.vr ?? null }
  } catch (err) {
    if (err instanceof LabError) throw err
    throw new LabError('bad_input', `${name} is damaged: its compressed pixel data cannot be read (${String(err instanceof Error ? err.message : err)}).`, {
      file: name
    })
  }
}

/**
 * Without an offset table: one fragment per frame when the counts match; otherwise frame 1 ends at the
 * first fragment ending in an End Of Image/Codestream marker (FFD9 for JPEG, JPEG-LS and JPEG 2000).
 */
function fragmentsOfFirstFrame(ds: DataSet, fragments: Fragment[], frames: number): number {
  if (fragments.length === frames) return 1
  const bytes = ds.byteArray
  for (let i = 0; i < fragments.length; i++) {
    const f = fragments[i]
    // Fragments are padded to even length, so the marker may sit one byte before the end.
    for (let back = 2; back <= 3 && back <= f.length; back++) {
      const at = f.position + f.length - back
      if (bytes[at] === 0xff && bytes[at + 1] === 0xd9) return i + 1
    }
  }
  return fragments.length
}

function pixelDataElement(ds: DataSet): Element {
  const el = ds.elements['x7fe00010']
  if (!el) throw new Error('pixel data element checked by readPixelModule')
  return el
}
