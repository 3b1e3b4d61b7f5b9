/**
 * Layout of a printed karyogram in the ISCN arrangement (karyogramRows): every chromosome upright at one
 * scale standing on its group's baseline, homologues side by side, the ideogram to the right of each
 * pair scaled to the pair's length, the type under the baseline. Pure: sizes in, positions out.
 */
import { karyogramRows, type ChromosomeType } from '../../preload/karyotype'

export interface LayoutItem {
  id: string
  /** Size of the upright image (before its extra rotation). */
  width: number
  height: number
  /** Total clockwise rotation in degrees (180 for a flipped one). */
  angle: number
}

export interface PlacedItem extends LayoutItem {
  /** Centre of the image on the page. */
  cx: number
  cy: number
}

export interface PlacedSlot {
  type: ChromosomeType | null
  label: string
  /** Baseline from x0 to x1 at y. */
  x0: number
  x1: number
  baseline: number
  ideogram: { x: number; width: number; height: number } | null
}

export interface KaryogramLayout {
  /** Drawing size (at least the page width asked for). */
  width: number
  height: number
  items: PlacedItem[]
  slots: PlacedSlot[]
  /** Font size for the labels. */
  fontSize: number
}

export interface LayoutInput {
  /** Items per type, in the order they stand in their slot; `null` holds the unplaced objects. */
  byType: Map<ChromosomeType | null, LayoutItem[]>
  /** ISCN length of each type's ideogram (null: draw no ideograms). */
  ideogramLength: ((t: ChromosomeType) => number) | null
  /** Typical chromosome width in image pixels (sets gaps and the size of empty slots). */
  unit: number
  /** Page width to fill, in pixels. */
  width: number
}

/** Bounding box of a w×h rectangle turned by `angle` degrees. */
export function rotatedSize(w: number, h: number, angle: number): { width: number; height: number } {
  const a = (angle * Math.PI) / 180
  const c = Math.abs(Math.cos(a))
  const s = Math.abs(Math.sin(a))
  return { width: w * c + h * s, height: w * s + h * c }
}

interface SlotPlan {
  type: ChromosomeType | null
  items: Array<LayoutItem & { bw: number; bh: number }>
  ideogramWidth: number
  ideogramHeight: number
  width: number
  height: number
}

export function layoutKaryogram(input: LayoutInput): KaryogramLayout {
  const u = input.unit
  const gap = 0.25 * u
  const ideogramWidth = input.ideogramLength ? 0.55 * u : 0
  const fontSize = Math.max(10, Math.round(0.85 * u))
  const labelHeight = fontSize * 1.9
  // Ideogram pixels per ISCN unit: from the slots that hold chromosomes (their mean upright height).
  const ratios: number[] = []
  if (input.ideogramLength) {
    for (const [t, items] of input.byType) {
      if (t && items.length) ratios.push(items.reduce((s, i) => s + i.height, 0) / items.length / input.ideogramLength(t))
    }
  }
  ratios.sort((a, b) => a - b)
  const pxPerUnit = ratios.length ? ratios[Math.floor(ratios.length / 2)] : 0
  const plan = (t: ChromosomeType | null): SlotPlan => {
    const items = (input.byType.get(t) ?? []).map((i) => {
      const r = rotatedSize(i.width, i.height, i.angle)
      return { ...i, bw: r.width, bh: r.height }
    })
    const chromWidth = items.length ? items.reduce((s, i) => s + i.bw, 0) + gap * (items.length - 1) : 2 * u + gap
    const ideo = t && input.ideogramLength ? ideogramWidth + gap : 0
    // As tall as the pair beside it (upright heights), or on the common scale for an empty slot.
    const ideoHeight = !t || !input.ideogramLength ? 0 : items.length ? items.reduce((s, i) => s + i.height, 0) / items.length : input.ideogramLength(t) * pxPerUnit
    const height = Math.max(2 * u, ideoHeight, ...items.map((i) => i.bh))
    return { type: t, items, ideogramWidth: ideo ? ideogramWidth : 0, ideogramHeight: ideoHeight, width: chromWidth + ideo, height }
  }
  const rows: SlotPlan[][][] = karyogramRows.map((row) => row.map((group) => group.map(plan)))
  const unplaced = input.byType.get(null) ?? []
  if (unplaced.length) rows.push([[plan(null)]])

  const items: PlacedItem[] = []
  const slots: PlacedSlot[] = []
  const margin = u
  const inner = input.width - 2 * margin
  let y = margin
  let right = 0
  for (const row of rows) {
    const slotsInRow = row.flat()
    const natural = slotsInRow.reduce((s, p) => s + p.width, 0)
    const rowHeight = Math.max(...slotsInRow.map((p) => p.height))
    // Spare width goes between slots, twice as much between groups.
    const slotGaps = slotsInRow.length - row.length
    const groupGaps = row.length - 1
    const spare = Math.max(0, inner - natural)
    const weight = slotGaps + 2 * groupGaps
    const unitGap = weight > 0 ? Math.min(spare / weight, 4 * u) : 0
    const used = natural + unitGap * weight
    let x = margin + Math.max(0, (inner - used) / 2)
    const baseline = y + rowHeight
    row.forEach((group, g) => {
      if (g > 0) x += 2 * unitGap
      group.forEach((p, k) => {
        if (k > 0) x += unitGap
        const x0 = x
        for (const it of p.items) {
          items.push({ id: it.id, width: it.width, height: it.height, angle: it.angle, cx: x + it.bw / 2, cy: baseline - it.bh / 2 })
          x += it.bw + gap
        }
        if (!p.items.length) x += 2 * u + gap
        let ideogram: PlacedSlot['ideogram'] = null
        if (p.ideogramWidth && p.ideogramHeight > 0) {
          ideogram = { x, width: p.ideogramWidth, height: p.ideogramHeight }
          x += p.ideogramWidth
        } else if (p.items.length) x -= gap
        slots.push({ type: p.type, label: p.type ?? `Unplaced (${p.items.length})`, x0, x1: x, baseline, ideogram })
      })
    })
    right = Math.max(right, x)
    y = baseline + labelHeight + 0.6 * u
  }
  // A row wider than the page (a crowded cell) widens the drawing; the picture is then scaled to fit.
  return { width: Math.max(input.width, Math.ceil(right + margin)), height: Math.ceil(y + margin / 2), items, slots, fontSize }
}
