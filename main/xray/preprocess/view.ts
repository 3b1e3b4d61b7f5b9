/** The viewer's IPC handler (`xray.view` in preload/api.ts): decode, present, shrink to the display. */
import type { ValidArgs, XrayView } from '../../../preload/api'
import { decodeXray } from '../decode'
import { shrinkToFit } from './display'
import { presentationImage } from './present'

/** Decodes a study's file for the viewer: metadata, image facts, and the window-levelled display image. */
export async function viewXray({ bytes, name, window, maxSide }: ValidArgs<'xray.view'>): Promise<XrayView> {
  const x = await decodeXray(bytes, { name })
  const { raster, voi } = presentationImage(x, window ? { kind: 'window', ...window } : { kind: 'default' })
  const display = await shrinkToFit(raster, voi, maxSide)
  return {
    name: x.name,
    format: x.format,
    metadata: x.metadata,
    image: x.image,
    warnings: x.warnings,
    windows: x.transforms.windows,
    voi: display.voi,
    display: { width: display.raster.width, height: display.raster.height, scale: display.scale, data: display.raster.data }
  }
}

export function xrayViewHandlers() {
  return {
    'xray.view': viewXray
  }
}
