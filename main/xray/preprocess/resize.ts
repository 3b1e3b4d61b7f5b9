/** Resizing 8-bit grey rasters with sharp (libvips): area-reducing then Lanczos, off the JS thread. */
import sharp from 'sharp'
import { createGrey, type GreyRaster } from '../../imaging/raster'

export type Fit = 'stretch' | 'letterbox' | 'center-crop'

const sharpFit = { stretch: 'fill', letterbox: 'contain', 'center-crop': 'cover' } as const

export async function resizeGrey(src: GreyRaster<Uint8Array>, width: number, height: number, fit: Fit = 'stretch'): Promise<GreyRaster<Uint8Array>> {
  if (src.width === width && src.height === height) return src
  const { data, info } = await sharp(src.data, { raw: { width: src.width, height: src.height, channels: 1 } })
    .resize(width, height, { fit: sharpFit[fit], position: 'centre', background: { r: 0, g: 0, b: 0 }, kernel: 'lanczos3' })
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true })
  return createGrey(info.width, info.height, new Uint8Array(data.buffer, data.byteOffset, data.length))
}
