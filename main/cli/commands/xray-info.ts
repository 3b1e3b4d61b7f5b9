import { writeFile } from 'node:fs/promises'
import sharp from 'sharp'
import { LabError } from '../../errors'
import { decodeXray, formatPersonName, presentationImage, shrinkToFit, type VoiChoice, type XrayImageInfo, type XrayMetadata } from '../../xray'
import type { AppliedVoi } from '../../xray/types'
import { defineCommand } from '../command'

interface Result {
  file: string
  format: string
  metadata: XrayMetadata
  image: XrayImageInfo
  range: { min: number; max: number }
  voi: AppliedVoi
  warnings: string[]
  seconds: number
  png?: string
}

/** `lightbox xray-info <file> [--window C,W] [--png out.png] [--json]`: what Lightbox reads from an X-ray file. */
export const xrayInfoCommand = defineCommand<Result>({
  name: 'xray-info',
  summary: 'Decode an X-ray file (DICOM, PNG, JPEG, TIFF, BMP): metadata, image facts, window; optionally save the display image',
  usage: '<file> [--window <centre>,<width>] [--png <out.png>] [--max-side <px>]',
  options: { window: { type: 'string' }, png: { type: 'string' }, 'max-side': { type: 'string' } },
  async run({ positionals, options }) {
    const file = positionals[0]
    if (!file) throw new LabError('invalid_argument', 'Give the X-ray file to read.')
    let voi: VoiChoice = { kind: 'default' }
    if (typeof options['window'] === 'string') {
      const [center, width] = options['window'].split(',').map(Number)
      if (!Number.isFinite(center) || !Number.isFinite(width)) throw new LabError('invalid_argument', '--window takes <centre>,<width>, e.g. 40,400.')
      voi = { kind: 'window', center, width }
    }
    const start = performance.now()
    const x = await decodeXray(file)
    const presented = presentationImage(x, voi)
    const seconds = (performance.now() - start) / 1000
    const result: Result = { file, format: x.format, metadata: x.metadata, image: x.image, range: x.range, voi: presented.voi, warnings: x.warnings, seconds }
    if (typeof options['png'] === 'string') {
      const maxSide = typeof options['max-side'] === 'string' ? Number(options['max-side']) : undefined
      const display = await shrinkToFit(presented.raster, presented.voi, maxSide)
      const { width, height, data } = display.raster
      await writeFile(options['png'], await sharp(data, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toBuffer())
      result.png = options['png']
    }
    return result
  },
  format(r) {
    const m = r.metadata
    const i = r.image
    const lines = [
      `${r.file}: ${r.format.toUpperCase()} ${i.width}×${i.height}, ${i.photometric}, ${i.bitsStored}/${i.bitsAllocated} bits${i.signed ? ' signed' : ''}` +
        (i.transferSyntax ? `, ${i.transferSyntax.name}` : '') +
        (i.frames > 1 ? `, ${i.frames} frames` : '') +
        (i.lossy ? ', lossy' : ''),
      `  values ${r.range.min}…${r.range.max}; shown with ${r.voi.kind} centre ${round(r.voi.center)} width ${round(r.voi.width)} (${r.voi.function})${r.voi.invert ? ', inverted (MONOCHROME1)' : ''}`,
      i.pixelSpacing ? `  pixel spacing ${i.pixelSpacing.row} × ${i.pixelSpacing.column} mm (${i.pixelSpacing.source})` : '  pixel spacing unknown'
    ]
    if (r.format === 'dicom') {
      lines.push(
        `  patient ${formatPersonName(m.patientName) || '—'} (${m.patientId ?? 'no ID'}), ${m.patientSex ?? '?'} ${m.patientAge ?? ''}`.trimEnd(),
        '  ' + [m.modality ?? '?', m.bodyPart, m.viewPosition].filter(Boolean).join(' ') + `, study ${m.studyDate ?? '?'} ${m.studyTime ?? ''}`.trimEnd(),
        `  study ${m.studyInstanceUid ?? '—'}`,
        `  series ${m.seriesInstanceUid ?? '—'}`,
        `  instance ${m.sopInstanceUid ?? '—'}`
      )
      if (m.manufacturer) lines.push(`  ${m.manufacturer}${m.manufacturerModelName ? ' ' + m.manufacturerModelName : ''}`)
    }
    for (const w of r.warnings) lines.push(`  note: ${w}`)
    lines.push(`  decoded in ${(r.seconds * 1000).toFixed(1)} ms${r.png ? `; display image written to ${r.png}` : ''}`)
    return lines.join('\n')
  }
})

function round(x: number): number {
  return Math.round(x * 100) / 100
}
