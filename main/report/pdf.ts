/**
 * The signed karyotype report as a PDF (pdf-lib): case identifiers, the result in ISCN, the
 * interpretation, the karyogram, the analysis figures, who signed it and when, and which classifier
 * made the automatic calls. A4, standard fonts, paginated.
 */
import { PDFDocument, StandardFonts, rgb, type PDFFont, type PDFImage, type PDFPage } from 'pdf-lib'
import type { ReportFile } from '../../preload/karyotype'
import { winAnsi, wrapText } from './pdf-text'

export interface ReportContent {
  siteName: string
  appVersion: string
  case: { accession: string; patientPseudonym: string; specimen: string; indication: string }
  result: {
    version: number
    iscn: string
    interpretation: string
    signedBy: { name: string; role: string }
    signedAt: string
    amendmentReason?: string
  }
  counts: { counted: number; karyotyped: number; modal: number | null; range: string }
  classifier: string
  karyogram: { png: Uint8Array; caption: string; resolution: number }
  /** When the PDF was made (ISO); defaults to now. */
  generatedAt?: string
}

const pageSize: [number, number] = [595.28, 841.89] // A4 in points
const margin = 42.5 // 15 mm
const ink = rgb(0.11, 0.14, 0.19)
const muted = rgb(0.37, 0.41, 0.47)
const rule = rgb(0.8, 0.82, 0.86)
const accent = rgb(0.12, 0.37, 0.75)

interface Fonts {
  regular: PDFFont
  bold: PDFFont
}

/** A cursor over pages: writes top-down, starts a new page when a block does not fit. */
class Writer {
  page: PDFPage
  y: number
  readonly width = pageSize[0] - 2 * margin

  constructor(
    readonly doc: PDFDocument,
    readonly fonts: Fonts
  ) {
    this.page = doc.addPage(pageSize)
    this.y = pageSize[1] - margin
  }

  ensure(height: number): void {
    if (this.y - height < margin + 28) {
      this.page = this.doc.addPage(pageSize)
      this.y = pageSize[1] - margin
    }
  }

  text(text: string, options: { size?: number; bold?: boolean; color?: ReturnType<typeof rgb>; x?: number; gap?: number } = {}): void {
    const size = options.size ?? 10
    const font = options.bold ? this.fonts.bold : this.fonts.regular
    for (const line of wrapText(text, font, size, this.width - (options.x ?? 0))) {
      this.ensure(size * 1.35)
      this.y -= size * 1.35
      this.page.drawText(line, { x: margin + (options.x ?? 0), y: this.y + size * 0.3, size, font, color: options.color ?? ink })
    }
    this.y -= options.gap ?? 0
  }

  heading(text: string): void {
    this.ensure(40)
    this.y -= 10
    this.text(text.toUpperCase(), { size: 8.5, bold: true, color: muted, gap: 3 })
  }

  hr(): void {
    this.y -= 6
    this.page.drawLine({ start: { x: margin, y: this.y }, end: { x: margin + this.width, y: this.y }, thickness: 0.7, color: rule })
    this.y -= 6
  }

  /** Label/value pairs in two columns. */
  facts(pairs: Array<[string, string]>): void {
    const colWidth = this.width / 2
    const labelWidth = 78
    for (let i = 0; i < pairs.length; i += 2) {
      const row = pairs.slice(i, i + 2)
      const wrapped = row.map(([, v]) => wrapText(v || '-', this.fonts.regular, 10, colWidth - labelWidth - 8))
      const lines = Math.max(...wrapped.map((w) => w.length))
      this.ensure(lines * 13.5 + 4)
      row.forEach(([label], k) => {
        const x = margin + k * colWidth
        this.page.drawText(winAnsi(label), { x, y: this.y - 10, size: 8.5, font: this.fonts.regular, color: muted })
        wrapped[k].forEach((line, j) => this.page.drawText(line, { x: x + labelWidth, y: this.y - 10 - j * 13.5, size: 10, font: this.fonts.regular, color: ink }))
      })
      this.y -= lines * 13.5 + 4
    }
  }

  image(img: PDFImage, caption: string): void {
    let w = this.width
    let h = (img.height / img.width) * w
    const room = this.y - (margin + 28) - 16
    if (h > room) {
      if (room >= 0.6 * h) {
        w = (w * room) / h
        h = room
      } else this.ensure(h + 16)
    }
    this.y -= h
    this.page.drawImage(img, { x: margin + (this.width - w) / 2, y: this.y, width: w, height: h })
    this.page.drawRectangle({ x: margin + (this.width - w) / 2, y: this.y, width: w, height: h, borderColor: rule, borderWidth: 0.6 })
    this.y -= 2
    this.text(caption, { size: 8, color: muted })
  }
}

function formatDate(iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`
}

export async function buildReport(content: ReportContent): Promise<ReportFile> {
  const doc = await PDFDocument.create()
  const fonts: Fonts = { regular: await doc.embedFont(StandardFonts.Helvetica), bold: await doc.embedFont(StandardFonts.HelveticaBold) }
  const generatedAt = content.generatedAt ?? new Date().toISOString()
  const { result } = content
  doc.setTitle(winAnsi(`Karyotype report ${content.case.accession}`))
  doc.setSubject(winAnsi(result.iscn))
  doc.setAuthor(winAnsi(result.signedBy.name))
  doc.setKeywords([winAnsi(content.case.accession), 'karyotype', 'ISCN'])
  doc.setCreator(`Lightbox ${content.appVersion}`)
  doc.setProducer('Lightbox (pdf-lib)')
  doc.setCreationDate(new Date(generatedAt))

  const w = new Writer(doc, fonts)
  // Header.
  w.text(content.siteName || 'Cytogenetics laboratory', { size: 9, bold: true, color: muted })
  w.text('Cytogenetic analysis report: karyotype', { size: 16, bold: true, gap: 2 })
  if (result.version > 1) w.text(`AMENDED REPORT (version ${result.version}; it replaces version ${result.version - 1})`, { size: 9, bold: true, color: rgb(0.7, 0.15, 0.12) })
  w.hr()
  w.facts([
    ['Accession', content.case.accession],
    ['Patient', content.case.patientPseudonym],
    ['Specimen', content.case.specimen],
    ['Indication', content.case.indication],
    ['Signed', formatDate(result.signedAt)],
    ['Report version', String(result.version)]
  ])

  // Result.
  w.heading('Result (ISCN 2020)')
  const iscnLines = wrapText(result.iscn, fonts.bold, 15, w.width - 24)
  const boxHeight = iscnLines.length * 20 + 14
  w.ensure(boxHeight + 4)
  w.page.drawRectangle({ x: margin, y: w.y - boxHeight, width: w.width, height: boxHeight, color: rgb(0.95, 0.96, 0.98), borderColor: rule, borderWidth: 0.6 })
  w.page.drawRectangle({ x: margin, y: w.y - boxHeight, width: 3, height: boxHeight, color: accent })
  iscnLines.forEach((line, i) => w.page.drawText(line, { x: margin + 14, y: w.y - 22 - i * 20, size: 15, font: fonts.bold, color: ink }))
  w.y -= boxHeight + 4

  w.heading('Interpretation')
  w.text(result.interpretation.trim() || 'No interpretation was written.', { size: 10.5 })

  w.heading('Karyogram')
  const png = await doc.embedPng(content.karyogram.png)
  w.image(png, content.karyogram.caption)

  w.heading('Analysis')
  w.facts([
    ['Cells counted', String(content.counts.counted)],
    ['Cells karyotyped', String(content.counts.karyotyped)],
    ['Modal number', content.counts.modal === null ? '-' : String(content.counts.modal)],
    ['Count range', content.counts.range || '-'],
    ['Band level', `${content.karyogram.resolution} bands (ideograms)`],
    ['Classifier', content.classifier]
  ])

  w.heading('Sign-off')
  w.text(`Electronically signed by ${result.signedBy.name}${result.signedBy.role ? ` (${result.signedBy.role})` : ''} on ${formatDate(result.signedAt)}.`, { size: 10.5 })
  if (result.amendmentReason) w.text(`Reason for amendment: ${result.amendmentReason}`, { size: 10 })

  // Footer on every page.
  const pages = doc.getPages()
  pages.forEach((page, i) => {
    const footer = winAnsi(`${content.case.accession} · ${result.iscn.length > 60 ? result.iscn.slice(0, 57) + '...' : result.iscn} · Lightbox ${content.appVersion} · generated ${formatDate(generatedAt)}`)
    page.drawLine({ start: { x: margin, y: margin + 14 }, end: { x: pageSize[0] - margin, y: margin + 14 }, thickness: 0.5, color: rule })
    page.drawText(footer, { x: margin, y: margin, size: 7.5, font: fonts.regular, color: muted })
    const label = `Page ${i + 1} of ${pages.length}`
    page.drawText(label, { x: pageSize[0] - margin - fonts.regular.widthOfTextAtSize(label, 7.5), y: margin, size: 7.5, font: fonts.regular, color: muted })
  })
  const bytes = await doc.save()
  return { pdf: bytes, pages: pages.length }
}
