/**
 * One cell under review: its analysis (segmentation, calls, dispatch, chromosome images), the
 * technologist's karyogram corrections, the selection and the undo/redo history. Every change is stored
 * (audited) at once; undo and redo are changes too.
 */
import { liveQuery } from 'dexie'
import type { ChromosomeImage, ChromosomeType, MetaphaseDisplay, SegmentationEdit } from '../../../../preload/karyotype'
import { db } from '../db'
import { saveAnalysis, updatePlacement } from '../db/karyotype'
import type { CellAnalysisRecord, KaryogramRecord, KaryotypeCell, PlacementOverride } from '../db/karyotype-records'
import { call } from '../ipc/client'
import { notices } from '../state/notices.svelte'
import { session } from '../state/session.svelte'
import { boardItems, bySlot, countsOf, deviationsOf, nextOrder, normaliseAngle, sexOf, totalOf, type BoardItem } from './placements'

type UndoEntry =
  | { kind: 'analysis'; what: string; before: CellAnalysisRecord; after: CellAnalysisRecord }
  | { kind: 'placement'; what: string; id: string; before: PlacementOverride | null; after: PlacementOverride | null }

export type MetaphaseTool = 'select' | 'split' | 'add' | 'pan'

export class CellEditor {
  #analysis = $state.raw<CellAnalysisRecord | null>(null)
  #karyogram = $state.raw<KaryogramRecord | null>(null)
  #display = $state.raw<MetaphaseDisplay | null>(null)
  #loaded = $state(false)
  #selected = $state.raw<string[]>([])
  #undo = $state.raw<UndoEntry[]>([])
  #redo = $state.raw<UndoEntry[]>([])
  #busy = $state<string | null>(null)
  #tool = $state<MetaphaseTool>('select')
  #bytes: Promise<Uint8Array> | null = null
  #queue: Promise<unknown> = Promise.resolve()

  readonly items = $derived(this.#analysis ? boardItems(this.#analysis, this.#karyogram?.overrides) : [])
  readonly slots = $derived(bySlot(this.items))
  readonly counts = $derived(countsOf(this.items))
  readonly total = $derived(totalOf(this.counts))
  readonly sex = $derived(sexOf(this.counts))
  readonly deviations = $derived(deviationsOf(this.counts))
  readonly images = $derived(new Map<string, ChromosomeImage>((this.#analysis?.chromosomes ?? []).map((c) => [c.id, c])))
  readonly binned = $derived(this.items.filter((i) => i.type === null).length)
  readonly flagged = $derived(this.items.filter((i) => i.warnings.length > 0).length)

  constructor(readonly cell: KaryotypeCell) {}

  /** Follows the stored records of this cell; returns the unsubscribe. */
  start(): () => void {
    const id = this.cell.id
    const subs = [
      liveQuery(() => db.cellAnalyses.get(id)).subscribe({ next: (a) => ((this.#analysis = a ?? null), (this.#loaded = true)), error: (e) => notices.error(e) }),
      liveQuery(() => db.karyograms.get(id)).subscribe({ next: (k) => (this.#karyogram = k ?? null), error: (e) => notices.error(e) })
    ]
    db.metaphaseImages.get(id).then((img) => (this.#display = img?.display ?? null), (e) => notices.error(e))
    return () => subs.forEach((s) => s.unsubscribe())
  }

  get analysis(): CellAnalysisRecord | null {
    return this.#analysis
  }
  get display(): MetaphaseDisplay | null {
    return this.#display
  }
  get loaded(): boolean {
    return this.#loaded
  }
  get selected(): string[] {
    return this.#selected
  }
  get busy(): string | null {
    return this.#busy
  }
  get tool(): MetaphaseTool {
    return this.#tool
  }
  get canUndo(): boolean {
    return this.#undo.length > 0
  }
  get canRedo(): boolean {
    return this.#redo.length > 0
  }
  get undoLabel(): string | null {
    return this.#undo.at(-1)?.what ?? null
  }
  get redoLabel(): string | null {
    return this.#redo.at(-1)?.what ?? null
  }

  item(id: string): BoardItem | undefined {
    return this.items.find((i) => i.id === id)
  }

  setTool(tool: MetaphaseTool): void {
    this.#tool = tool
  }

  select(ids: string[]): void {
    this.#selected = ids
  }

  toggle(id: string): void {
    this.#selected = this.#selected.includes(id) ? this.#selected.filter((x) => x !== id) : [...this.#selected, id]
  }

  /** The file's bytes as stored (for main's edits); read once. */
  #fileBytes(): Promise<Uint8Array> {
    this.#bytes ??= db.metaphaseImages.get(this.cell.id).then(async (r) => {
      if (!r) throw new Error(`The image of ${this.cell.name} is missing from the database.`)
      return new Uint8Array(await r.bytes.arrayBuffer())
    })
    return this.#bytes
  }

  /** Runs changes one after another (fast key presses never interleave two writes). */
  #serial<T>(label: string, fn: () => Promise<T>): Promise<T | undefined> {
    const run = async () => {
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
    const p = this.#queue.then(run, run)
    this.#queue = p
    return p
  }

  /** A segmentation edit: main edits and re-classifies, the result is stored; undoable. */
  edit(edit: SegmentationEdit, what: string): Promise<boolean> {
    return this.#serial(`${what}…`, async () => {
      const before = this.#analysis
      if (!before) throw new Error(`${this.cell.name} has no analysis yet.`)
      const next = await call('karyotype.edit', {
        image: (await this.#fileBytes()) as Uint8Array<ArrayBuffer>,
        name: this.cell.name,
        segmentation: before.segmentation,
        edit,
        known: before.segmentation.objects.map((o) => o.id)
      })
      const after = await saveAnalysis(db, this.cell.id, next, what, session.actor)
      this.#analysis = after
      this.#push({ kind: 'analysis', what, before, after })
      const fresh = new Set(before.segmentation.objects.map((o) => o.id))
      this.#selected = after.segmentation.objects.map((o) => o.id).filter((id) => !fresh.has(id))
      return true
    }).then((ok) => ok === true)
  }

  /** Runs the classifier again on the current segmentation (e.g. after a new model was made active). */
  reclassify(): Promise<unknown> {
    return this.#serial('Classifying…', async () => {
      const before = this.#analysis
      if (!before) return
      const next = await call('karyotype.reclassify', {
        image: (await this.#fileBytes()) as Uint8Array<ArrayBuffer>,
        name: this.cell.name,
        segmentation: before.segmentation,
        known: before.segmentation.objects.map((o) => o.id)
      })
      const after = await saveAnalysis(db, this.cell.id, next, `classified again (${next.classifier.id})`, session.actor)
      this.#push({ kind: 'analysis', what: 'classify again', before, after })
    })
  }

  #push(entry: UndoEntry): void {
    this.#undo = [...this.#undo.slice(-99), entry]
    this.#redo = []
  }

  #placement(id: string, change: PlacementOverride, what: string): Promise<unknown> {
    return this.#serial(`${what}…`, async () => {
      const before = this.#karyogram?.overrides[id] ?? null
      const next = await updatePlacement(db, this.cell.id, id, change, session.actor, what)
      this.#karyogram = next
      this.#push({ kind: 'placement', what, id, before, after: next.overrides[id] ?? null })
    })
  }

  /** Moves an object to a type's slot (null: the bin), at the end of that slot. */
  move(id: string, type: ChromosomeType | null): Promise<unknown> {
    const item = this.item(id)
    if (!item || item.type === type) return Promise.resolve()
    const to = type ?? 'the bin'
    return this.#placement(id, { type, order: nextOrder(this.items, type) }, `moved from ${item.type ?? 'the bin'} to ${to}`)
  }

  flip(id: string): Promise<unknown> {
    const item = this.item(id)
    if (!item) return Promise.resolve()
    return this.#placement(id, { flip: !item.flip }, item.flip ? 'turned p-arm up' : 'turned p-arm down')
  }

  rotate(id: string, degrees: number): Promise<unknown> {
    const item = this.item(id)
    if (!item) return Promise.resolve()
    const angle = normaliseAngle(item.rotate + degrees)
    return this.#placement(id, { rotate: angle }, `rotated to ${angle}°`)
  }

  undo(): Promise<unknown> {
    const entry = this.#undo.at(-1)
    if (!entry) return Promise.resolve()
    return this.#serial(`Undoing ${entry.what}…`, async () => {
      await this.#restore(entry, 'before', `undo: ${entry.what}`)
      this.#undo = this.#undo.slice(0, -1)
      this.#redo = [...this.#redo, entry]
    })
  }

  redo(): Promise<unknown> {
    const entry = this.#redo.at(-1)
    if (!entry) return Promise.resolve()
    return this.#serial(`Redoing ${entry.what}…`, async () => {
      await this.#restore(entry, 'after', `redo: ${entry.what}`)
      this.#redo = this.#redo.slice(0, -1)
      this.#undo = [...this.#undo, entry]
    })
  }

  async #restore(entry: UndoEntry, side: 'before' | 'after', what: string): Promise<void> {
    if (entry.kind === 'analysis') {
      const r = entry[side]
      this.#analysis = await saveAnalysis(db, this.cell.id, { ...r, timings: {} }, what, session.actor)
      this.#selected = []
    } else {
      this.#karyogram = await updatePlacement(db, this.cell.id, entry.id, entry[side], session.actor, what, true)
    }
  }
}
