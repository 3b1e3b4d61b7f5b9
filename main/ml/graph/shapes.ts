/** Shape arithmetic for the ops we emit: broadcasting, convolution and pooling output sizes. */
import type { Dim, Shape } from './graph'

/** NumPy-style broadcast of two shapes (symbolic dims broadcast against 1 or themselves). */
export function broadcastShapes(a: Shape, b: Shape): Shape {
  const rank = Math.max(a.length, b.length)
  const out: Dim[] = []
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1
    const db = b[b.length - rank + i] ?? 1
    if (da === db || db === 1) out.push(da)
    else if (da === 1) out.push(db)
    else if (typeof da === 'string') out.push(db)
    else if (typeof db === 'string') out.push(da)
    else throw new Error(`Shapes [${a}] and [${b}] do not broadcast`)
  }
  return out
}

/** Axes of `full` along which `part` was broadcast (to sum a gradient back to `part`'s shape). */
export function broadcastAxes(part: Shape, full: Shape): number[] {
  const offset = full.length - part.length
  const axes: number[] = []
  for (let i = 0; i < full.length; i++) {
    if (i < offset) axes.push(i)
    else if (part[i - offset] === 1 && full[i] !== 1) axes.push(i)
  }
  return axes
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i])
}

export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis
  if (a < 0 || a >= rank) throw new Error(`Axis ${axis} out of range for rank ${rank}`)
  return a
}

/** Output length of a sliding window (floor mode). */
export function windowOut(size: Dim, kernel: number, stride: number, padBegin: number, padEnd: number, dilation = 1): Dim {
  if (typeof size === 'string') return size
  const span = dilation * (kernel - 1) + 1
  const out = Math.floor((size + padBegin + padEnd - span) / stride) + 1
  if (out < 1) throw new Error(`Window ${kernel} (stride ${stride}) does not fit an input of ${size}`)
  return out
}

export function pair(v: number | [number, number] | undefined, fallback: number): [number, number] {
  if (v === undefined) return [fallback, fallback]
  return typeof v === 'number' ? [v, v] : v
}
