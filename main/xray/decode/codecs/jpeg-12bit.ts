/**
 * 12-bit DCT JPEG (DICOM JPEG Extended, process 4), which the 8-bit libjpeg-turbo build cannot decode:
 * decoded with the JpegImage decoder (Mozilla pdf.js's, extended to 12-bit) that the daikon DICOM
 * reader ships. Loaded only when such a file turns up.
 */
import type { DecodedSamples } from './samples'

interface JpegImage {
  parse(data: Uint8Array): void
  getData16(width: number, height: number): Uint16Array
  width: number
  height: number
  components: unknown[]
}

let ctor: Promise<new () => JpegImage> | null = null

async function loadJpegImage(): Promise<new () => JpegImage> {
  ctor ??= import('daikon/lib/jpeg-baseline.js').then((m) => {
    const mod = (m as { JpegImage?: new () => JpegImage; default?: { JpegImage: new () => JpegImage } })
    const found = mod.JpegImage ?? mod.default?.JpegImage
    if (!found) throw new Error('daikon/lib/jpeg-baseline.js has no JpegImage')
    return found
  })
  return ctor
}

export async function decodeJpeg12(encoded: Uint8Array): Promise<DecodedSamples> {
  const JpegImageClass = await loadJpegImage()
  const jpeg = new JpegImageClass()
  jpeg.parse(encoded) // reads only
  if (jpeg.components.length !== 1) throw new Error('12-bit colour JPEG is not supported')
  const data = jpeg.getData16(jpeg.width, jpeg.height)
  return { data, width: jpeg.width, height: jpeg.height, components: 1, bitsPerSample: 12, signed: false, planar: false }
}
