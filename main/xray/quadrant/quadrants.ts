/**
 * The seed's quadrant features (Kayan et al., "Deep reproductive feature generation framework for the
 * diagnosis of COVID-19 and viral pneumonia using chest X-ray images", 2023): the radiograph is cut into
 * four equal quadrants, each quadrant goes through the pretrained network on its own (so each is seen at
 * twice the resolution of the whole image), and the four feature vectors are concatenated.
 */
import { createGrey, type GreyRaster } from '../../imaging/raster'
import type { FeatureCache } from '../../../preload/api'
import { computeFeatures, sourceName, sourceRaster, type FeatureSource, type XrayFeatureNetwork } from '../findings/features'

/** Top-left, top-right, bottom-left, bottom-right; odd sizes give the extra row/column to the lower/right ones. */
export function quadrants(r: GreyRaster<Uint8Array>): GreyRaster<Uint8Array>[] {
  const hw = Math.floor(r.width / 2)
  const hh = Math.floor(r.height / 2)
  const boxes = [
    [0, 0, hw, hh],
    [hw, 0, r.width - hw, hh],
    [0, hh, hw, r.height - hh],
    [hw, hh, r.width - hw, r.height - hh]
  ]
  return boxes.map(([x, y, w, h]) => {
    const out = new Uint8Array(w * h)
    for (let row = 0; row < h; row++) out.set(r.data.subarray((y + row) * r.width + x, (y + row) * r.width + x + w), row * w)
    return createGrey(w, h, out)
  })
}

/** Per image, the four quadrants' features concatenated (4 × the network's dimension). */
export async function quadrantFeatures(
  net: XrayFeatureNetwork,
  sources: FeatureSource[],
  o: { cache?: FeatureCache | null; onProgress?: (done: number, total: number) => void } = {}
): Promise<Float32Array[]> {
  const out: Float32Array[] = []
  // In groups, so that only a few decoded images are held at once.
  for (let start = 0; start < sources.length; start += 32) {
    const group = sources.slice(start, start + 32)
    const parts = (await Promise.all(group.map(async (s) => quadrants(await sourceRaster(s)).map((raster, q) => ({ raster, name: `${sourceName(s)} quadrant ${q + 1}` }))))).flat()
    const f = await computeFeatures(net, parts, { cache: o.cache })
    for (let i = 0; i < group.length; i++) {
      const v = new Float32Array(4 * net.dim)
      for (let q = 0; q < 4; q++) v.set(f[i * 4 + q], q * net.dim)
      out.push(v)
    }
    o.onProgress?.(out.length, sources.length)
  }
  return out
}
