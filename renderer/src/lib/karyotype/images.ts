/** Pixels for the screen: grey engine images to canvases and blobs, and a browser download of bytes. */
import type { MetaphaseDisplay } from '../../../../preload/karyotype'

/** RGBA pixels of an 8-bit grey image (for putImageData). */
export function greyToImageData(width: number, height: number, data: Uint8Array): ImageData {
  const rgba = new Uint8ClampedArray(width * height * 4)
  for (let i = 0, j = 0; i < data.length; i++, j += 4) {
    const v = data[i]
    rgba[j] = v
    rgba[j + 1] = v
    rgba[j + 2] = v
    rgba[j + 3] = 255
  }
  return new ImageData(rgba, width, height)
}

/** A JPEG thumbnail (at most `side` pixels on its long side) of the segmented image. */
export async function thumbnailOf(display: MetaphaseDisplay, side = 200): Promise<Blob> {
  const full = new OffscreenCanvas(display.width, display.height)
  full.getContext('2d')!.putImageData(greyToImageData(display.width, display.height, display.data), 0, 0)
  const k = Math.min(1, side / Math.max(display.width, display.height))
  const w = Math.max(1, Math.round(display.width * k))
  const h = Math.max(1, Math.round(display.height * k))
  const small = new OffscreenCanvas(w, h)
  const ctx = small.getContext('2d')!
  ctx.imageSmoothingQuality = 'high'
  ctx.drawImage(full, 0, 0, w, h)
  return small.convertToBlob({ type: 'image/jpeg', quality: 0.85 })
}

/** Hands bytes to the browser as a file download (Electron asks where to save it). */
export function downloadBytes(bytes: Uint8Array, fileName: string, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }))
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** A file name made safe for any file system. */
export function safeFileName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'file'
}
