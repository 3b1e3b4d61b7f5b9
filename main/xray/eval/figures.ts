/**
 * Figures of an evaluation, as PNG (SVG drawn here, rasterised by sharp/librsvg): ROC curves per finding
 * and for the abnormality score, a reliability diagram (predicted probability against observed
 * frequency), and Grad-CAM overlays of a few evaluated images. `eval-xray --figures <dir>` writes them;
 * the README shows the ones of the held-out NIH patients.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import sharp from 'sharp'
import type { GreyRaster } from '../../imaging/raster'
import { reliability } from '../calibration'
import { abnormalLabel, type XrayRecord } from '../findings/dataset'
import type { RawScores, XrayPipeline } from '../findings/pipeline'
import { sourceRaster, type FeatureSource } from '../findings/features'
import { overlayRgb } from '../heatmap/render'

const palette = ['#d62728', '#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f']

interface Series {
  label: string
  scores: number[]
  targets: number[]
}

function rocPoints(s: Series): [number, number][] {
  const order = s.scores.map((v, i) => i).sort((a, b) => s.scores[b] - s.scores[a])
  const pos = s.targets.filter((t) => t === 1).length
  const neg = s.targets.length - pos
  const points: [number, number][] = [[0, 0]]
  let tp = 0
  let fp = 0
  order.forEach((i, k) => {
    if (s.targets[i] === 1) tp++
    else fp++
    if (k === order.length - 1 || s.scores[order[k + 1]] !== s.scores[i]) points.push([fp / neg, tp / pos])
  })
  return points
}

const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;')

/** A square plot frame with axes 0…1; `body(x, y)` maps data to pixels. */
function frame(title: string, xLabel: string, yLabel: string, content: (x: (v: number) => number, y: (v: number) => number) => string, legend: { label: string; colour: string }[]): string {
  const W = 780
  const H = 520
  const left = 70
  const top = 40
  const size = 420
  const x = (v: number) => left + v * size
  const y = (v: number) => top + (1 - v) * size
  const ticks = [0, 0.2, 0.4, 0.6, 0.8, 1]
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
<text x="${left}" y="24" font-size="16" font-weight="bold">${esc(title)}</text>
${ticks.map((t) => `<line x1="${x(t)}" y1="${y(0)}" x2="${x(t)}" y2="${y(1)}" stroke="#eee"/><line x1="${x(0)}" y1="${y(t)}" x2="${x(1)}" y2="${y(t)}" stroke="#eee"/>`).join('')}
<rect x="${x(0)}" y="${y(1)}" width="${size}" height="${size}" fill="none" stroke="#333"/>
${ticks.map((t) => `<text x="${x(t)}" y="${y(0) + 18}" text-anchor="middle">${t}</text><text x="${x(0) - 8}" y="${y(t) + 4}" text-anchor="end">${t}</text>`).join('')}
<text x="${x(0.5)}" y="${y(0) + 40}" text-anchor="middle">${esc(xLabel)}</text>
<text x="18" y="${y(0.5)}" text-anchor="middle" transform="rotate(-90 18 ${y(0.5)})">${esc(yLabel)}</text>
<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#999" stroke-dasharray="4 4"/>
${content(x, y)}
${legend.map((l, i) => `<rect x="${left + size + 14}" y="${top + 8 + i * 22}" width="14" height="4" fill="${l.colour}"/><text x="${left + size + 34}" y="${top + 14 + i * 22}" font-size="12">${esc(l.label)}</text>`).join('')}
</svg>`
}

async function svgPng(svg: string): Promise<Uint8Array> {
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer())
}

function series(records: XrayRecord[], scores: RawScores[], findings: string[], auc: Record<string, number>): Series[] {
  const out: Series[] = findings
    .map((label, j) => ({ label, scores: scores.map((s) => s.findings![j]), targets: records.map((r) => (r.findings.includes(label) ? 1 : 0)) }))
    .filter((s) => s.label in auc)
  out.unshift({ label: abnormalLabel, scores: scores.map((s) => s.abnormal), targets: records.map((r) => (r.findings.length > 0 ? 1 : 0)) })
  return out
}

export async function rocFigure(records: XrayRecord[], scores: RawScores[], findings: string[], auc: Record<string, number>, abnormalAuc: number | null, title: string): Promise<Uint8Array> {
  const all = series(records, scores, findings, auc)
  const colours = all.map((_, i) => palette[i % palette.length])
  const aucOf = (s: Series) => (s.label === abnormalLabel ? abnormalAuc : auc[s.label])
  return svgPng(
    frame(
      title,
      'false positive rate (1 − specificity)',
      'true positive rate (sensitivity)',
      (x, y) => all.map((s, i) => `<polyline fill="none" stroke="${colours[i]}" stroke-width="${i === 0 ? 3 : 1.6}" points="${rocPoints(s).map(([fx, ty]) => `${x(fx).toFixed(1)},${y(ty).toFixed(1)}`).join(' ')}"/>`).join('\n'),
      all.map((s, i) => ({ label: `${s.label === abnormalLabel ? 'Abnormal (any)' : s.label} ${aucOf(s)?.toFixed(3) ?? ''}`, colour: colours[i] }))
    )
  )
}

export async function reliabilityFigure(records: XrayRecord[], scores: RawScores[], findings: string[], auc: Record<string, number>, ece: Record<string, number>, title: string): Promise<Uint8Array> {
  const all = series(records, scores, findings, auc)
  const colours = all.map((_, i) => palette[i % palette.length])
  return svgPng(
    frame(
      title,
      'predicted probability',
      'observed frequency',
      (x, y) =>
        all
          .map((s, i) => {
            const bins = reliability(s.scores, s.targets).filter((b) => b.count > 0)
            const line = `<polyline fill="none" stroke="${colours[i]}" stroke-width="${i === 0 ? 3 : 1.6}" points="${bins.map((b) => `${x(b.meanPredicted).toFixed(1)},${y(b.observed).toFixed(1)}`).join(' ')}"/>`
            const dots = bins.map((b) => `<circle cx="${x(b.meanPredicted).toFixed(1)}" cy="${y(b.observed).toFixed(1)}" r="${Math.min(7, 2 + Math.sqrt(b.count) / 2).toFixed(1)}" fill="${colours[i]}" fill-opacity="0.6"/>`).join('')
            return line + dots
          })
          .join('\n'),
      all.map((s, i) => ({ label: `${s.label === abnormalLabel ? 'Abnormal (any)' : s.label} ECE ${ece[s.label]?.toFixed(3) ?? ''}`, colour: colours[i] }))
    )
  )
}

/** Grad-CAM overlays (abnormality score) of `sources`, side by side at `tile` px, each captioned. */
export async function heatmapFigure(pipeline: XrayPipeline, sources: { source: FeatureSource; caption: string }[], tile = 384): Promise<Uint8Array> {
  const tiles: Buffer[] = []
  for (const { source, caption } of sources) {
    const raster: GreyRaster<Uint8Array> = await sourceRaster(source)
    const { heatmaps } = await pipeline.heatmaps({ raster, name: caption }, { labels: [abnormalLabel] })
    const rgb = overlayRgb(raster, heatmaps[0])
    const img = await sharp(rgb, { raw: { width: raster.width, height: raster.height, channels: 3 } }).resize(tile, tile, { fit: 'contain' }).png().toBuffer()
    const label = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${tile}" height="28"><rect width="100%" height="100%" fill="black"/><text x="8" y="19" fill="white" font-family="DejaVu Sans, sans-serif" font-size="14">${esc(caption)}</text></svg>`)
    tiles.push(await sharp({ create: { width: tile, height: tile + 28, channels: 3, background: 'black' } }).composite([{ input: img, top: 0, left: 0 }, { input: label, top: tile, left: 0 }]).png().toBuffer())
  }
  return new Uint8Array(
    await sharp({ create: { width: tile * tiles.length, height: tile + 28, channels: 3, background: 'black' } })
      .composite(tiles.map((input, i) => ({ input, top: 0, left: i * tile })))
      .png({ palette: true, effort: 8 })
      .toBuffer()
  )
}

/** Writes roc.png, reliability.png and heatmaps.png of an evaluation into `dir`. */
export async function writeFigures(
  dir: string,
  o: {
    pipeline: XrayPipeline
    records: XrayRecord[]
    sources: FeatureSource[]
    scores: RawScores[]
    auc: Record<string, number>
    abnormalAuc: number | null
    ece: Record<string, number>
    title: string
  }
): Promise<string[]> {
  await mkdir(dir, { recursive: true })
  const findings = o.pipeline.findingsHead.info.findings
  const files = { roc: path.join(dir, 'xray-roc.png'), reliability: path.join(dir, 'xray-reliability.png'), heatmaps: path.join(dir, 'xray-heatmaps.png') }
  await writeFile(files.roc, await rocFigure(o.records, o.scores, findings, o.auc, o.abnormalAuc, `ROC, ${o.title}`))
  await writeFile(files.reliability, await reliabilityFigure(o.records, o.scores, findings, o.auc, o.ece, `Reliability, ${o.title}`))
  // The three abnormal images the model is surest about and the normal one it is surest about.
  const ranked = o.scores.map((s, i) => ({ s: s.abnormal, i }))
  const abnormal = ranked.filter(({ i }) => o.records[i].findings.length > 0).sort((a, b) => b.s - a.s).slice(0, 3)
  const normal = ranked.filter(({ i }) => o.records[i].findings.length === 0).sort((a, b) => a.s - b.s).slice(0, 1)
  const picked = [...abnormal, ...normal].map(({ s, i }) => ({
    source: o.sources[i],
    caption: `${o.records[i].findings.length > 2 ? `${o.records[i].findings.slice(0, 2).join(', ')}, …` : o.records[i].findings.join(', ') || 'No Finding'} — abnormal ${s.toFixed(2)}`
  }))
  await writeFile(files.heatmaps, await heatmapFigure(o.pipeline, picked))
  return Object.values(files)
}
