/**
 * The printed karyogram: the cell's chromosomes straightened at print resolution, arranged by
 * layoutKaryogram, with ideograms and labels, drawn as one SVG and rasterised by sharp (librsvg).
 */
import sharp from 'sharp'
import type { GreyRaster } from '../imaging/raster'
import { chromosomeBands, type BandResolution, type ChromosomeBands } from '../karyotype/ideogram/parse'
import { loadIdeogram } from '../karyotype/ideogram/load'
import type { ChromosomeType, Segmentation } from '../karyotype/types'
import { chromosomeImages, displayScale } from '../karyotype-ipc/chromosome-images'
import { LabError } from '../errors'
import type { ChromosomeImage, KaryogramImage, Placement } from '../../preload/karyotype'
import { layoutKaryogram, type KaryogramLayout, type LayoutItem } from './karyogram-layout'

/** The report's karyogram is 180 mm wide (A4 less margins). */
export const printWidthMm = 180

export interface KaryogramRequest {
  image: GreyRaster<Uint8Array>
  segmentation: Segmentation
  placements: Placement[]
  resolution: BandResolution
  caption?: string
  dpi?: number
}

const font = `'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif`

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string)
}

async function pngDataUri(img: ChromosomeImage): Promise<string> {
  const png = await sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: 1 } }).png().toBuffer()
  return `data:image/png;base64,${png.toString('base64')}`
}

function byType(placements: Placement[], images: Map<string, ChromosomeImage>): Map<ChromosomeType | null, LayoutItem[]> {
  const out = new Map<ChromosomeType | null, LayoutItem[]>()
  for (const p of placements) {
    const img = images.get(p.id)
    if (!img) continue
    const list = out.get(p.type) ?? []
    list.push({ id: p.id, width: img.width, height: img.height, angle: (p.flip ? 180 : 0) + p.rotate })
    out.set(p.type, list)
  }
  return out
}

function ideogramSvg(bands: ChromosomeBands, x: number, bottom: number, width: number, height: number): string {
  const k = height / bands.length
  const top = bottom - height
  const cen = top + bands.centromere * k
  const r = width / 2.5
  const arm = (y0: number, y1: number) => `<rect x="${x.toFixed(2)}" y="${y0.toFixed(2)}" width="${width.toFixed(2)}" height="${(y1 - y0).toFixed(2)}" rx="${r.toFixed(2)}"`
  const clip = `ideo-${bands.chromosome}`
  const parts: string[] = [`<clipPath id="${clip}">${arm(top, cen)}/>${arm(cen, bottom)}/></clipPath><g clip-path="url(#${clip})">`]
  for (const b of bands.bands) {
    const y = top + b.start * k
    const h = Math.max(0.5, (b.stop - b.start) * k)
    const narrow = b.stain === 'acen' || b.stain === 'stalk'
    const inset = narrow ? width * 0.22 : 0
    const grey = Math.round(255 * (1 - b.darkness))
    parts.push(`<rect x="${(x + inset).toFixed(2)}" y="${y.toFixed(2)}" width="${(width - 2 * inset).toFixed(2)}" height="${h.toFixed(2)}" fill="rgb(${grey},${grey},${grey})"/>`)
  }
  // Outline of both arms (rounded ends), drawn over the bands.
  const outline = `fill="none" stroke="#333" stroke-width="${Math.max(0.6, width / 14).toFixed(2)}"/>`
  parts.push('</g>', `${arm(top, cen)} ${outline}`, `${arm(cen, bottom)} ${outline}`)
  return parts.join('')
}

export function karyogramSvg(layout: KaryogramLayout, uris: Map<string, string>, resolution: BandResolution | null, caption: string | undefined, outWidth: number): { svg: string; width: number; height: number } {
  const ideogram = resolution ? loadIdeogram(resolution) : null
  const captionHeight = caption ? layout.fontSize * 2 : 0
  const height = layout.height + captionHeight
  const outHeight = Math.round((height * outWidth) / layout.width)
  const s: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${outWidth}" height="${outHeight}" viewBox="0 0 ${layout.width} ${height}">`,
    `<rect width="${layout.width}" height="${height}" fill="#fff"/>`
  ]
  for (const it of layout.items) {
    const uri = uris.get(it.id)
    if (!uri) continue
    s.push(
      `<g transform="translate(${it.cx.toFixed(2)} ${it.cy.toFixed(2)}) rotate(${it.angle})"><image x="${(-it.width / 2).toFixed(2)}" y="${(-it.height / 2).toFixed(2)}" width="${it.width}" height="${it.height}" xlink:href="${uri}" href="${uri}"/></g>`
    )
  }
  const stroke = Math.max(1, layout.fontSize / 12)
  for (const slot of layout.slots) {
    if (slot.ideogram && slot.type && ideogram) s.push(ideogramSvg(chromosomeBands(ideogram, slot.type), slot.ideogram.x, slot.baseline, slot.ideogram.width, slot.ideogram.height))
    s.push(`<line x1="${slot.x0.toFixed(2)}" x2="${slot.x1.toFixed(2)}" y1="${(slot.baseline + stroke * 2).toFixed(2)}" y2="${(slot.baseline + stroke * 2).toFixed(2)}" stroke="#222" stroke-width="${stroke}"/>`)
    s.push(`<text x="${((slot.x0 + slot.x1) / 2).toFixed(2)}" y="${(slot.baseline + layout.fontSize * 1.45).toFixed(2)}" font-family="${font}" font-size="${layout.fontSize}" text-anchor="middle" fill="#111">${escapeXml(slot.label)}</text>`)
  }
  if (caption) {
    s.push(`<text x="${layout.width / 2}" y="${(layout.height + captionHeight * 0.55).toFixed(2)}" font-family="${font}" font-size="${Math.round(layout.fontSize * 0.9)}" text-anchor="middle" fill="#444">${escapeXml(caption)}</text>`)
  }
  s.push('</svg>')
  return { svg: s.join(''), width: outWidth, height: outHeight }
}

/** Renders the karyogram as a PNG at `dpi` (default 300) for a 180 mm wide print. */
export async function renderKaryogram(req: KaryogramRequest): Promise<KaryogramImage> {
  const dpi = req.dpi ?? 300
  const outWidth = Math.round((printWidthMm / 25.4) * dpi)
  const known = new Set(req.segmentation.objects.map((o) => o.id))
  const missing = req.placements.filter((p) => !known.has(p.id)).map((p) => p.id)
  if (missing.length) {
    throw new LabError('invalid_argument', `The karyogram places object${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which the segmentation does not have.`)
  }
  const ids = new Set(req.placements.map((p) => p.id))
  const ideogram = loadIdeogram(req.resolution)
  const ideogramLength = (t: ChromosomeType) => chromosomeBands(ideogram, t).length
  // First pass at the board's scale to measure the layout, then images at the scale that fills the page.
  const s0 = displayScale(req.segmentation)
  const unit0 = Math.max(4, req.segmentation.scale.chromosomeWidth) * s0
  const draft = await chromosomeImages(req.image, req.segmentation, s0, ids)
  const natural = layoutKaryogram({ byType: byType(req.placements, new Map(draft.map((d) => [d.id, d]))), ideogramLength, unit: unit0, width: 0 })
  // The chromosomes fill about 4/5 of the width; the rest is the space between pairs and groups.
  const scale = Math.min(12 * s0, Math.max(0.25, (0.8 * s0 * outWidth) / natural.width))
  const images = scale === s0 ? draft : await chromosomeImages(req.image, req.segmentation, scale, ids)
  const map = new Map(images.map((d) => [d.id, d]))
  const layout = layoutKaryogram({ byType: byType(req.placements, map), ideogramLength, unit: (unit0 * scale) / s0, width: outWidth })
  const uris = new Map(await Promise.all(images.map(async (img) => [img.id, await pngDataUri(img)] as const)))
  const { svg, width, height } = karyogramSvg(layout, uris, req.resolution, req.caption, outWidth)
  const png = await sharp(Buffer.from(svg)).flatten({ background: '#ffffff' }).greyscale().png({ compressionLevel: 9 }).withMetadata({ density: dpi }).toBuffer()
  return { png: new Uint8Array(png.buffer, png.byteOffset, png.length), width, height, dpi }
}
