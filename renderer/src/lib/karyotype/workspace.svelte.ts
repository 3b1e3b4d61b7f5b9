/**
 * A karyotype case open in the workspace: its record, its metaphase cells (import, counts, statuses),
 * the case summary, the open tab and cell (kept in the address so a reload comes back to them) and the
 * editor of the open cell.
 */
import { liveQuery } from 'dexie'
import { db } from '../db'
import { importCell, listCells, listResults, setCellCount, setCellStatus } from '../db/karyotype'
import type { CellStatus, KaryotypeCell, KaryotypeResult } from '../db/karyotype-records'
import type { CaseRecord } from '../db/types'
import { call } from '../ipc/client'
import { notices } from '../state/notices.svelte'
import { session } from '../state/session.svelte'
import { CellEditor } from './cell-editor.svelte'
import { thumbnailOf } from './images'
import { summarise } from './summary'

export const workspaceTabs = ['cells', 'metaphase', 'karyogram', 'result'] as const
export type WorkspaceTab = (typeof workspaceTabs)[number]

/** Image types the engine reads (sharp): checked before anything is sent. */
const acceptedTypes = /\.(png|jpe?g|tiff?|bmp|webp)$/i

/** `#/karyotyping/<caseId>/<tab>/<cellId>`: the part after the case id. */
export function parseWorkspaceHash(hash: string): { tab: WorkspaceTab; cellId: string | null } {
  const parts = hash.replace(/^#\/?/, '').split('/')
  const tab = (workspaceTabs as readonly string[]).includes(parts[2]) ? (parts[2] as WorkspaceTab) : 'cells'
  return { tab, cellId: parts[3] ? decodeURIComponent(parts[3]) : null }
}

export class KaryotypeWorkspace {
  #record = $state.raw<CaseRecord | null | undefined>(undefined)
  #cells = $state.raw<KaryotypeCell[]>([])
  #results = $state.raw<KaryotypeResult[]>([])
  #thumbs = $state.raw<Map<string, string>>(new Map())
  #tab = $state<WorkspaceTab>('cells')
  #cellId = $state<string | null>(null)
  #editor = $state.raw<CellEditor | null>(null)
  #stopEditor: (() => void) | null = null
  #busy = $state<string | null>(null)
  #progress = $state.raw<{ done: number; total: number } | null>(null)

  readonly summary = $derived(summarise(this.#cells))
  readonly locked = $derived(this.#record?.status === 'signed')
  readonly cell = $derived(this.#cells.find((c) => c.id === this.#cellId) ?? null)
  readonly latestResult = $derived(this.#results.at(-1) ?? null)

  constructor(readonly caseId: string) {
    const { tab, cellId } = parseWorkspaceHash(location.hash)
    this.#tab = tab
    this.#cellId = cellId
  }

  get record(): CaseRecord | null | undefined {
    return this.#record
  }
  get cells(): KaryotypeCell[] {
    return this.#cells
  }
  get results(): KaryotypeResult[] {
    return this.#results
  }
  get thumbs(): Map<string, string> {
    return this.#thumbs
  }
  get tab(): WorkspaceTab {
    return this.#tab
  }
  get editor(): CellEditor | null {
    return this.#editor
  }
  get busy(): string | null {
    return this.#busy
  }
  get progress(): { done: number; total: number } | null {
    return this.#progress
  }

  /** Follows the case's stored records; returns the unsubscribe. */
  start(): () => void {
    const id = this.caseId
    const subs = [
      liveQuery(() => db.cases.get(id)).subscribe({ next: (c) => (this.#record = c ?? null), error: (e) => notices.error(e) }),
      liveQuery(() => listCells(db, id)).subscribe({ next: (cells) => this.#setCells(cells), error: (e) => notices.error(e) }),
      liveQuery(() => listResults(db, id)).subscribe({ next: (r) => (this.#results = r), error: (e) => notices.error(e) })
    ]
    return () => {
      subs.forEach((s) => s.unsubscribe())
      this.#stopEditor?.()
      for (const url of this.#thumbs.values()) URL.revokeObjectURL(url)
    }
  }

  #setCells(cells: KaryotypeCell[]): void {
    this.#cells = cells
    const missing = cells.filter((c) => !this.#thumbs.has(c.id))
    if (missing.length) {
      db.metaphaseImages.bulkGet(missing.map((c) => c.id)).then((rows) => {
        const next = new Map(this.#thumbs)
        for (const r of rows) if (r) next.set(r.id, URL.createObjectURL(r.thumbnail))
        this.#thumbs = next
      }, (e) => notices.error(e))
    }
    if (this.#cellId && !cells.some((c) => c.id === this.#cellId)) this.#cellId = null
    if (!this.#cellId && cells.length) this.#cellId = cells[0].id
    this.#syncEditor()
  }

  #syncEditor(): void {
    const cell = this.#cells.find((c) => c.id === this.#cellId) ?? null
    if (this.#editor?.cell.id === cell?.id) return
    this.#stopEditor?.()
    this.#stopEditor = null
    this.#editor = cell ? new CellEditor(cell) : null
    if (this.#editor) this.#stopEditor = this.#editor.start()
    this.#writeHash()
  }

  #writeHash(): void {
    const base = `#/karyotyping/${encodeURIComponent(this.caseId)}/${this.#tab}`
    const hash = this.#cellId ? `${base}/${encodeURIComponent(this.#cellId)}` : base
    if (location.hash !== hash) history.replaceState(null, '', hash)
  }

  setTab(tab: WorkspaceTab): void {
    this.#tab = tab
    this.#writeHash()
  }

  selectCell(id: string): void {
    this.#cellId = id
    this.#syncEditor()
  }

  /** The previous (-1) or next (+1) cell that is not excluded. */
  stepCell(delta: -1 | 1): void {
    const list = this.#cells
    if (!list.length) return
    const at = list.findIndex((c) => c.id === this.#cellId)
    for (let k = 1; k <= list.length; k++) {
      const c = list[(at + delta * k + list.length * k) % list.length]
      if (c.status !== 'excluded' || k === list.length) return this.selectCell(c.id)
    }
  }

  /** Imports metaphase image files: each is analysed by main, then stored with its analysis. */
  async importFiles(files: File[]): Promise<KaryotypeCell[]> {
    const imported: KaryotypeCell[] = []
    if (!files.length) return imported
    this.#progress = { done: 0, total: files.length }
    try {
      for (const file of files) {
        this.#busy = `Analysing ${file.name}…`
        try {
          if (!acceptedTypes.test(file.name)) throw new Error(`${file.name} is not a metaphase image Lightbox reads (PNG, JPEG, TIFF, BMP or WebP).`)
          if (file.size === 0) throw new Error(`${file.name} is empty (0 bytes).`)
          const bytes = new Uint8Array(await file.arrayBuffer())
          const analysis = await call('karyotype.analyse', { image: bytes, name: file.name })
          const thumb = await thumbnailOf(analysis.display)
          imported.push(await importCell(db, this.caseId, { name: file.name, type: file.type, bytes }, analysis, thumb, session.actor))
        } catch (err) {
          notices.error(err)
        }
        this.#progress = { done: (this.#progress?.done ?? 0) + 1, total: files.length }
      }
    } finally {
      this.#busy = null
      this.#progress = null
    }
    if (imported.length) {
      notices.info(`${imported.length} metaphase${imported.length === 1 ? '' : 's'} imported.`)
      if (!this.#cellId || imported.length) this.selectCell(imported[0].id)
    }
    return imported
  }

  async setCount(cell: KaryotypeCell, count: number | null): Promise<void> {
    try {
      await setCellCount(db, cell.id, count, session.actor)
    } catch (err) {
      notices.error(err)
    }
  }

  async setStatus(cell: KaryotypeCell, status: CellStatus, reason = ''): Promise<boolean> {
    try {
      await setCellStatus(db, cell.id, status, session.actor, reason)
      return true
    } catch (err) {
      notices.error(err)
      return false
    }
  }
}
