/**
 * Plain-data types of the karyotyping engine. Everything here is JSON- and structured-clone friendly
 * (numbers, strings, arrays, plain objects, Uint8Array), so it crosses IPC and is stored in Dexie as is.
 */

/** How the spread was stained: G-banding is dark on light, Q-banding bright on dark. */
export type Stain = 'G' | 'Q'

/** A point in image pixel coordinates: [x (column), y (row)]; pixel centres are at integer coordinates. */
export type Point = [x: number, y: number]

/** An axis-aligned box in image pixels: the top-left pixel and the size. */
export interface Box {
  x: number
  y: number
  width: number
  height: number
}

/** A binary mask cut to its box: `data[row * box.width + col]` is 1 inside the object, 0 outside. */
export interface ObjectMask {
  box: Box
  data: Uint8Array
}

/** Where an object came from: the automatic segmentation or one of the editing operations. */
export type ObjectOrigin = 'auto' | 'split' | 'merged' | 'drawn'

/**
 * Warnings about one object, for the UI to mark:
 * - cluster: still looks like several chromosomes touching or overlapping (automatic separation gave up)
 * - border: touches the image border, may be cut off
 * - tiny: smaller than the smallest expected chromosome (kept because it is chromosome-like)
 */
export type ObjectFlag = 'cluster' | 'border' | 'tiny'

/** One segmented object (usually one chromosome). */
export interface ChromosomeObject {
  /** Stable within a segmentation and across its edits: edits never reuse an id. */
  id: string
  origin: ObjectOrigin
  mask: ObjectMask
  /** Same as mask.box; repeated for convenience. */
  box: Box
  /** Pixels inside the mask. */
  area: number
  centroid: Point
  /** Outer boundary, clockwise, image coordinates of boundary pixels; not closed (last ≠ first). */
  contour: Point[]
  /** Centre line from one end to the other (image coordinates, about one point per pixel of length). */
  medialAxis: Point[]
  /** Length of the medial axis in pixels. */
  length: number
  flags: ObjectFlag[]
}

/** The scale of a cell, measured from its own objects: what "small" and "large" mean in it. */
export interface CellScale {
  /** Typical chromosome width in pixels. */
  chromosomeWidth: number
  /** Area in pixels of an average chromosome (1/46 of a normal cell's chromosome area). */
  unitArea: number
}

/** The result of segmenting one metaphase image, and of every edit on it. */
export interface Segmentation {
  /** Size of the image the coordinates refer to (the decoded image, or its shrunk copy: see pixelScale). */
  width: number
  height: number
  /** Original image pixels per segmentation pixel: 1, unless a very large image was shrunk to segment it. */
  pixelScale: number
  stain: Stain
  objects: ChromosomeObject[]
  /** Next number for a new object id ("c<n>"); edits advance it so ids are never reused. */
  nextId: number
  /** Threshold on the background-flattened, foreground-bright image (0–255) the masks came from. */
  threshold: number
  scale: CellScale
  /** What was left out on purpose. */
  removed: { nuclei: Box[]; debris: number }
  /** Plain-words notes for the user (e.g. an image that was shrunk, a cell with too few objects). */
  warnings: string[]
}

/** The 24 human chromosome types in classifier order: 1–22, X, Y. Logit/probability columns follow it. */
export const chromosomeTypes = [
  '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12',
  '13', '14', '15', '16', '17', '18', '19', '20', '21', '22', 'X', 'Y'
] as const
export type ChromosomeType = (typeof chromosomeTypes)[number]

export function isChromosomeType(v: unknown): v is ChromosomeType {
  return typeof v === 'string' && (chromosomeTypes as readonly string[]).includes(v)
}
