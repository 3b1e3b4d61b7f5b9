/**
 * The in-memory image every main-process pipeline works on: row-major, interleaved channels.
 * 8-bit data stays Uint8Array, 16-bit (DICOM, TIFF) Uint16Array, computed images Float32Array.
 */
export type RasterData = Uint8Array | Uint16Array | Float32Array

export interface Raster<D extends RasterData = RasterData> {
  width: number
  height: number
  channels: 1 | 2 | 3 | 4
  data: D
}

export type GreyRaster<D extends RasterData = RasterData> = Raster<D> & { channels: 1 }

export function createGrey<D extends RasterData>(width: number, height: number, data: D): GreyRaster<D> {
  if (data.length !== width * height) {
    throw new Error(`Raster size mismatch: ${width}×${height} needs ${width * height} values, got ${data.length}`)
  }
  return { width, height, channels: 1, data }
}
