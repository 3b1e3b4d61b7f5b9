/**
 * The case result: the ISCN string (prefilled from the karyotyped cells, checked by main's validator as
 * it is typed), the interpretation, sign-off, amendments, and the exports (karyogram PNG, PDF report).
 */
import type { BandResolution, IscnPrefill, IscnValidation } from '../../../../preload/karyotype'
import { db } from '../db'
import { amendResult, saveResultDraft, signResult } from '../db/karyotype'
import type { KaryotypeResult } from '../db/karyotype-records'
import { call } from '../ipc/client'
import { notices } from '../state/notices.svelte'
import { session } from '../state/session.svelte'
import { downloadBytes, safeFileName } from './images'
import { boardItems, countsOf, toPlacements } from './placements'
import type { KaryotypeWorkspace } from './workspace.svelte'

export class ResultEditor {
  #iscn = $state('')
  #interpretation = $state('')
  #resolution = $state<BandResolution>(550)
  #reportCellId = $state<string | null>(null)
  #validation = $state.raw<IscnValidation | null>(null)
  #prefill = $state.raw<(IscnPrefill & { from: number; karyotypedOnly: boolean }) | null>(null)
  #loadedFrom = $state<string | null>(null)
  #busy = $state<string | null>(null)
  #timer: ReturnType<typeof setTimeout> | null = null
  #checkSeq = 0

  /** The version shown: the latest (a draft being written, or the signed one). */
  readonly current = $derived.by(() => this.ws.latestResult)
  readonly editable = $derived.by(() => !this.ws.locked && (this.current === null || this.current.status === 'draft'))
  readonly dirty = $derived(
    this.current === null
      ? this.#iscn !== '' || this.#interpretation !== ''
      : this.#iscn !== this.current.iscn || this.#interpretation !== this.current.interpretation || this.#resolution !== this.current.resolution || this.#reportCellId !== this.current.reportCellId
  )

  constructor(readonly ws: KaryotypeWorkspace) {}

  get iscn(): string {
    return this.#iscn
  }
  get interpretation(): string {
    return this.#interpretation
  }
  get resolution(): BandResolution {
    return this.#resolution
  }
  get reportCellId(): string | null {
    return this.#reportCellId
  }
  get validation(): IscnValidation | null {
    return this.#validation
  }
  get prefill() {
    return this.#prefill
  }
  get busy(): string | null {
    return this.#busy
  }

  /** Takes the stored version's text the first time it is seen (and after each sign/amend). */
  sync(result: KaryotypeResult | null): void {
    const key = result ? `${result.id}:${result.status}` : 'none'
    if (this.#loadedFrom === key) return
    this.#loadedFrom = key
    if (result) {
      this.#iscn = result.iscn
      this.#interpretation = result.interpretation
      this.#resolution = result.resolution
      this.#reportCellId = result.reportCellId
      this.check()
    }
  }

  setIscn(text: string): void {
    this.#iscn = text
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => this.check(), 150)
  }
  setInterpretation(text: string): void {
    this.#interpretation = text
  }
  setResolution(r: BandResolution): void {
    this.#resolution = r
  }
  setReportCell(id: string | null): void {
    this.#reportCellId = id
  }

  /** Main's validator on the current text (the latest answer wins). */
  async check(): Promise<void> {
    const seq = ++this.#checkSeq
    const text = this.#iscn
    if (!text.trim()) {
      this.#validation = null
      return
    }
    try {
      const v = await call('karyotype.validateIscn', { text })
      if (seq === this.#checkSeq) this.#validation = v
    } catch (err) {
      notices.error(err)
    }
  }

  /** Cells the result is written from: the karyotyped ones, or every usable analysed cell if none is. */
  #sourceCells() {
    const usable = this.ws.cells.filter((c) => c.status !== 'excluded')
    const karyotyped = usable.filter((c) => c.status === 'karyotyped')
    return { cells: karyotyped.length ? karyotyped : usable, karyotypedOnly: karyotyped.length > 0 }
  }

  /** The ISCN string from the cells' karyograms (main writes it: one clone, or a mosaic). */
  async computePrefill(): Promise<void> {
    try {
      await this.#computePrefill()
    } catch (err) {
      notices.error(err)
    }
  }

  async #computePrefill(): Promise<void> {
    const { cells, karyotypedOnly } = this.#sourceCells()
    if (!cells.length) {
      this.#prefill = null
      return
    }
    const [analyses, karyograms] = await Promise.all([db.cellAnalyses.bulkGet(cells.map((c) => c.id)), db.karyograms.bulkGet(cells.map((c) => c.id))])
    const counts = analyses.flatMap((a, i) => (a ? [countsOf(boardItems(a, karyograms[i]?.overrides))] : []))
    if (!counts.length) return
    const p = await call('karyotype.iscn', { cells: counts })
    // One clone that every counted cell agrees with: the clone size is the number of cells counted.
    const s = this.ws.summary
    const single = /^(\d+),([^/[\]]+)\[(\d+)\]$/.exec(p.result)
    let result = p.result
    if (single && !s.mosaic.suspected && s.distribution.length === 1 && s.modal === Number(single[1]) && s.counted > Number(single[3])) {
      result = `${single[1]},${single[2]}[${s.counted}]`
    }
    this.#prefill = { ...p, result, from: counts.length, karyotypedOnly }
  }

  usePrefill(): void {
    if (this.#prefill) this.setIscn(this.#prefill.result)
  }

  async #run<T>(label: string, fn: () => Promise<T>): Promise<T | undefined> {
    this.#busy = label
    try {
      return await fn()
    } catch (err) {
      notices.error(err)
      return undefined
    } finally {
      this.#busy = null
    }
  }

  #draft() {
    return { iscn: this.#iscn.trim(), interpretation: this.#interpretation, resolution: this.#resolution, reportCellId: this.#reportCellId ?? this.#defaultReportCell() }
  }

  #defaultReportCell(): string | null {
    const { cells } = this.#sourceCells()
    return cells[0]?.id ?? null
  }

  /** Stores the working text as the draft (quietly when leaving a field, with a confirmation on Save). */
  save(quiet = false): Promise<unknown> {
    if (!this.editable || (quiet && !this.dirty)) return Promise.resolve()
    const write = async () => {
      const r = await saveResultDraft(db, this.ws.caseId, this.#draft(), session.actor)
      this.#loadedFrom = `${r.id}:${r.status}`
    }
    // A quiet save (leaving a field) runs in the background: it must not disable the button being clicked.
    if (quiet) return write().catch((err) => notices.error(err))
    return this.#run('Saving…', async () => {
      await write()
      notices.info('Result saved.')
    })
  }

  /** Signs the result as the current reviewer; refuses an ISCN string the validator rejects. */
  sign(): Promise<unknown> {
    return this.#run('Signing…', async () => {
      await this.check()
      const v = this.#validation
      if (!this.#iscn.trim()) throw new Error('Write the ISCN result before signing.')
      if (!v || !v.ok) throw new Error(`The ISCN result has errors: ${v?.issues.filter((i) => i.severity === 'error').map((i) => i.message).join('; ') ?? 'not checked'}`)
      const me = session.current
      if (!me) throw new Error('Pick who you are before signing.')
      const s = this.ws.summary
      if (s.counted === 0) throw new Error('Count at least one cell before signing (Cells & counts).')
      const classifiers = await this.#classifiers()
      const draft = this.#draft()
      let snapshot: KaryotypeResult['snapshot']
      if (draft.reportCellId) {
        const d = await this.#cellData(draft.reportCellId)
        snapshot = { cellId: d.cell.id, segmentation: d.analysis.segmentation, placements: toPlacements(boardItems(d.analysis, d.overrides)) }
      }
      await signResult(db, this.ws.caseId, {
        ...draft,
        snapshot,
        counts: { counted: s.counted, karyotyped: s.karyotyped, modal: s.modal, range: s.range },
        classifier: classifiers,
        signer: { id: me.id, name: me.name, role: me.role }
      }, session.actor)
      notices.info(`Case ${this.ws.record?.accession ?? ''} signed.`)
    })
  }

  async #classifiers(): Promise<string> {
    const analyses = await db.cellAnalyses.where('caseId').equals(this.ws.caseId).toArray()
    const names = [...new Set(analyses.map((a) => (a.classifier.kind === 'rule' ? `${a.classifier.id} (rule; no classifier model)` : a.classifier.id)))]
    return names.join(', ') || 'none'
  }

  amend(reason: string): Promise<unknown> {
    return this.#run('Opening an amendment…', async () => {
      await amendResult(db, this.ws.caseId, reason, session.actor)
      notices.info('Amendment opened: the signed version stays as it was.')
    })
  }

  /** The karyogram of a cell as a print-resolution PNG (300 dpi at 180 mm). */
  exportPng(cellId: string): Promise<unknown> {
    return this.#run('Drawing the karyogram…', async () => {
      const { cell, bytes, analysis, overrides } = await this.#cellData(cellId)
      const accession = this.ws.record?.accession ?? 'case'
      const png = await call('karyotype.karyogram', {
        image: bytes,
        name: cell.name,
        segmentation: analysis.segmentation,
        placements: toPlacements(boardItems(analysis, overrides)),
        resolution: this.#resolution,
        caption: `${accession} · cell ${cell.order} (${cell.name})`,
        dpi: 300
      })
      downloadBytes(png.png, `${safeFileName(accession)}-cell${cell.order}-karyogram.png`, 'image/png')
    })
  }

  async #cellData(cellId: string) {
    const [cell, image, analysis, karyogram] = await Promise.all([
      db.karyotypeCells.get(cellId),
      db.metaphaseImages.get(cellId),
      db.cellAnalyses.get(cellId),
      db.karyograms.get(cellId)
    ])
    if (!cell || !image || !analysis) throw new Error('The cell, its image or its analysis is missing.')
    return { cell, analysis, overrides: karyogram?.overrides ?? {}, bytes: new Uint8Array(await image.bytes.arrayBuffer()) }
  }

  /** The PDF report of a signed version (the latest by default). */
  exportPdf(version?: KaryotypeResult): Promise<unknown> {
    return this.#run('Making the report…', async () => {
      const r = version ?? this.current
      if (!r || r.status !== 'signed' || !r.signedBy || !r.signedAt || !r.counts) throw new Error('Sign the result before making the report.')
      const c = this.ws.record
      if (!c) throw new Error('The case is not loaded.')
      const cellId = r.snapshot?.cellId ?? r.reportCellId ?? this.#defaultReportCell()
      if (!cellId) throw new Error('The case has no cell to print a karyogram of.')
      const { cell, bytes, analysis, overrides } = await this.#cellData(cellId)
      // A signed version prints the karyogram as it was signed, even after a later amendment changed it.
      const segmentation = r.snapshot?.segmentation ?? analysis.segmentation
      const placements = r.snapshot?.placements ?? toPlacements(boardItems(analysis, overrides))
      const settings = await call('settings.get', {})
      const report = await call('karyotype.report', {
        siteName: settings.siteName,
        case: { accession: c.accession, patientPseudonym: c.patientPseudonym, specimen: c.specimen, indication: c.indication },
        result: {
          version: r.version,
          iscn: r.iscn,
          interpretation: r.interpretation,
          signedBy: { name: r.signedBy.name, role: r.signedBy.role },
          signedAt: r.signedAt,
          ...(r.amendmentReason ? { amendmentReason: r.amendmentReason } : {})
        },
        counts: r.counts,
        classifier: r.classifier,
        karyogram: {
          image: bytes,
          name: cell.name,
          cellName: `${cell.order} (${cell.name})`,
          segmentation,
          placements,
          resolution: r.resolution
        }
      })
      downloadBytes(report.pdf, `${safeFileName(c.accession)}-karyotype-report-v${r.version}.pdf`, 'application/pdf')
    })
  }
}
