/**
 * Where every object of a cell sits on the karyogram: the engine's dispatch, with the technologist's
 * corrections laid over it. Pure functions over stored records, shared by the board, the counts, the
 * ISCN prefill and the report.
 */
import { karyotypeTypes, type CellDispatch, type ChromosomeCall, type ChromosomeType, type ObjectFlag, type Placement, type Segmentation } from '../../../../preload/karyotype'
import type { PlacementOverride } from '../db/karyotype-records'

/** Below this probability for its assigned type, an object is marked for a second look. */
export const lowConfidence = 0.6

export interface BoardItem {
  id: string
  /** Assigned type, or null: in the bin. */
  type: ChromosomeType | null
  flip: boolean
  rotate: number
  order: number
  /** The classifier's probability of the assigned type (null in the bin). */
  confidence: number | null
  /** The classifier's best type and its probability. */
  best: ChromosomeType | null
  bestP: number | null
  /** What the dispatch did with it: a normal slot, an extra copy, or left unplaced. */
  dispatched: 'normal' | 'extra' | 'unplaced'
  /** True when the technologist moved it. */
  moved: boolean
  flags: ObjectFlag[]
  /** Reasons to look at it again, in words (empty when none). */
  warnings: string[]
}

export interface AnalysisLike {
  segmentation: Segmentation
  calls: ChromosomeCall[]
  dispatch: CellDispatch
}

const percent = (p: number) => `${Math.round(100 * p)}%`

const flagWords: Record<ObjectFlag, string> = {
  cluster: 'may be several chromosomes touching or overlapping',
  border: 'touches the image border (may be cut off)',
  tiny: 'smaller than the smallest chromosome'
}

export function boardItems(a: AnalysisLike, overrides: Record<string, PlacementOverride> = {}): BoardItem[] {
  const calls = new Map(a.calls.map((c) => [c.id, c]))
  const assignments = new Map(a.dispatch.assignments.map((x) => [x.id, x]))
  return a.segmentation.objects.map((o, index) => {
    const call = calls.get(o.id)
    const auto = assignments.get(o.id)
    const ov = overrides[o.id] ?? {}
    const autoType = auto?.type ?? null
    const type = ov.type !== undefined ? ov.type : autoType
    const probs = call ? call.logProbs.map(Math.exp) : null
    const confidence = type && probs ? probs[karyotypeTypes.indexOf(type)] : null
    const bestIndex = probs ? probs.indexOf(Math.max(...probs)) : -1
    const moved = ov.type !== undefined && ov.type !== autoType
    const warnings: string[] = []
    if (!call) warnings.push('not classified')
    if (type && confidence !== null && confidence < lowConfidence && !moved) {
      warnings.push(`low confidence: ${percent(confidence)} chromosome ${type}${bestIndex >= 0 && karyotypeTypes[bestIndex] !== type ? `, best guess ${karyotypeTypes[bestIndex]} (${percent(probs![bestIndex])})` : ''}`)
    }
    if (auto?.changed && !moved && type) warnings.push(`placed by the cell-level assignment against the classifier's best guess (${auto.best})`)
    if (auto?.slot === 'extra' && !moved) warnings.push(`an extra copy of chromosome ${autoType}`)
    if (auto?.slot === 'unplaced' && type === null) warnings.push('fits no slot: debris, a marker or a piece of a chromosome?')
    for (const f of o.flags) warnings.push(flagWords[f])
    return {
      id: o.id,
      type,
      flip: ov.flip ?? (call?.pUp != null ? call.pUp < 0.5 : false),
      rotate: ov.rotate ?? 0,
      order: ov.order ?? index,
      confidence,
      best: bestIndex >= 0 ? karyotypeTypes[bestIndex] : null,
      bestP: bestIndex >= 0 ? probs![bestIndex] : null,
      dispatched: auto?.slot ?? 'unplaced',
      moved,
      flags: o.flags,
      warnings
    }
  })
}

/** Items by slot (null = the bin), each slot in its order. */
export function bySlot(items: BoardItem[]): Map<ChromosomeType | null, BoardItem[]> {
  const out = new Map<ChromosomeType | null, BoardItem[]>()
  for (const it of items) {
    const list = out.get(it.type) ?? []
    list.push(it)
    out.set(it.type, list)
  }
  for (const list of out.values()) list.sort((a, b) => a.order - b.order)
  return out
}

export type Counts = Record<ChromosomeType, number>

export function countsOf(items: BoardItem[]): Counts {
  const counts = Object.fromEntries(karyotypeTypes.map((t) => [t, 0])) as Counts
  for (const it of items) if (it.type) counts[it.type]++
  return counts
}

export function totalOf(counts: Counts): number {
  return karyotypeTypes.reduce((s, t) => s + counts[t], 0)
}

/** The sex chromosome complement as ISCN writes it (XX, XY, X, XXY…), "?" when none is placed. */
export function sexOf(counts: Counts): string {
  return 'X'.repeat(counts.X) + 'Y'.repeat(counts.Y) || '?'
}

/** Differences from a normal cell of the same sex, in words ("chromosome 21: 3, expected 2"). */
export function deviationsOf(counts: Counts): string[] {
  const out: string[] = []
  for (const t of karyotypeTypes) {
    if (t === 'X' || t === 'Y') continue
    if (counts[t] !== 2) out.push(`chromosome ${t}: ${counts[t]}, expected 2`)
  }
  const sex = sexOf(counts)
  if (!['XX', 'XY'].includes(sex)) out.push(`sex chromosomes ${sex}`)
  return out
}

/** Order for an object dropped at the end of a slot. */
export function nextOrder(items: BoardItem[], type: ChromosomeType | null): number {
  const inSlot = items.filter((i) => i.type === type)
  return inSlot.length ? Math.max(...inSlot.map((i) => i.order)) + 1 : 0
}

/** The board as the print/report channels take it. */
export function toPlacements(items: BoardItem[]): Placement[] {
  return [...items].sort((a, b) => a.order - b.order).map((i) => ({ id: i.id, type: i.type, flip: i.flip, rotate: i.rotate }))
}

/** Normalises an angle to (-180, 180]. */
export function normaliseAngle(deg: number): number {
  let a = ((deg % 360) + 360) % 360
  if (a > 180) a -= 360
  return a
}

/** Bounding box of a w×h rectangle turned by `angle` degrees. */
export function rotatedSize(w: number, h: number, angle: number): { width: number; height: number } {
  const a = (angle * Math.PI) / 180
  const c = Math.abs(Math.cos(a))
  const s = Math.abs(Math.sin(a))
  return { width: w * c + h * s, height: w * s + h * c }
}
