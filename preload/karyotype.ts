/**
 * The karyotyping part of the contract (channels `karyotype.*` in api.ts): argument validators and the
 * types that cross the boundary. The engine's plain-data types (Segmentation, CellDispatch, Ideogram,
 * IscnValidation) are declared once in main/karyotype and re-exported here as types only; the validators
 * below are checked against them at compile time (see the `Same` assertions at the end).
 *
 * Also here, because both the renderer's board and main's printed karyogram draw it: the ISCN karyogram
 * layout (which chromosome goes in which row and group).
 */
import { z } from 'zod'
import type { CellDispatch } from '../main/karyotype/dispatch/dispatch'
import type { ChromosomeType, Segmentation } from '../main/karyotype/types'

export type { CellDispatch, ObjectAssignment, Deviation } from '../main/karyotype/dispatch/dispatch'
export type { Band, BandResolution, ChromosomeBands, Ideogram } from '../main/karyotype/ideogram/parse'
export type { IscnIssue, IscnValidation } from '../main/karyotype/iscn/validate'
export type { Box, ChromosomeObject, ChromosomeType, ObjectFlag, Point, Segmentation, Stain } from '../main/karyotype/types'

/** 1–22, X, Y: the order of every probability row. */
export const karyotypeTypes = [
  '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12',
  '13', '14', '15', '16', '17', '18', '19', '20', '21', '22', 'X', 'Y'
] as const satisfies readonly ChromosomeType[]

/**
 * The ISCN karyogram layout, row by row; each row is a list of groups drawn with a gap between them:
 * 1–3 | 4–5 / 6–12, X / 13–15 | 16–18 / 19–20 | 21–22, Y.
 */
export const karyogramRows: ChromosomeType[][][] = [
  [['1', '2', '3'], ['4', '5']],
  [['6', '7', '8', '9', '10', '11', '12', 'X']],
  [['13', '14', '15'], ['16', '17', '18']],
  [['19', '20'], ['21', '22', 'Y']]
]

export const bandResolutionSchema = z.union([z.literal(400), z.literal(550), z.literal(850)])

// ---- engine data as it comes back from the renderer ------------------------------------------

const finite = z.number().finite()
const pointSchema = z.tuple([finite, finite])
const boxSchema = z
  .object({ x: z.number().int().min(0), y: z.number().int().min(0), width: z.number().int().min(1), height: z.number().int().min(1) })
  .strict()
const chromosomeTypeSchema = z.enum(karyotypeTypes)
const stainSchema = z.enum(['G', 'Q'])

/** Any Uint8Array (engine types allow views on any buffer). */
const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'expected bytes (Uint8Array)' })

const maskSchema = z
  .object({ box: boxSchema, data: bytes })
  .strict()
  .refine((m) => m.data.length === m.box.width * m.box.height, { message: 'mask data must hold width × height values' })

export const chromosomeObjectSchema = z
  .object({
    id: z.string().regex(/^c\d+$/),
    origin: z.enum(['auto', 'split', 'merged', 'drawn']),
    mask: maskSchema,
    box: boxSchema,
    area: z.number().min(0),
    centroid: pointSchema,
    contour: z.array(pointSchema).max(100_000),
    medialAxis: z.array(pointSchema).max(100_000),
    length: z.number().min(0),
    flags: z.array(z.enum(['cluster', 'border', 'tiny']))
  })
  .strict()

export const segmentationSchema = z
  .object({
    width: z.number().int().min(1),
    height: z.number().int().min(1),
    pixelScale: z.number().positive(),
    stain: stainSchema,
    objects: z.array(chromosomeObjectSchema).max(1000),
    nextId: z.number().int().min(1),
    threshold: finite,
    scale: z.object({ chromosomeWidth: z.number().min(0), unitArea: z.number().min(0) }).strict(),
    removed: z.object({ nuclei: z.array(boxSchema), debris: z.number().int().min(0) }).strict(),
    warnings: z.array(z.string())
  })
  .strict()

const polyline = (min: number) => z.array(pointSchema).min(min).max(10_000)

/** One editing gesture of the metaphase view. */
export const segmentationEditSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('split'), id: z.string(), line: polyline(2) }).strict(),
  z.object({ op: z.literal('merge'), ids: z.array(z.string()).min(2).max(50) }).strict(),
  z.object({ op: z.literal('delete'), ids: z.array(z.string()).min(1).max(1000) }).strict(),
  z.object({ op: z.literal('add'), outline: polyline(3) }).strict()
])
export type SegmentationEdit = z.infer<typeof segmentationEditSchema>

const imageArgs = {
  /** The metaphase image file's bytes as stored (PNG, JPEG, TIFF, BMP, WebP). */
  image: z.instanceof(Uint8Array),
  /** File name, for messages. */
  name: z.string().min(1).max(260)
}

export const analyseArgs = z
  .object({ ...imageArgs, stain: z.enum(['G', 'Q', 'auto']).optional() })
  .strict()

export const editArgs = z
  .object({
    ...imageArgs,
    segmentation: segmentationSchema,
    edit: segmentationEditSchema,
    /** Objects whose display images the caller already has (unchanged objects keep their ids). */
    known: z.array(z.string()).max(1000).optional()
  })
  .strict()

export const reclassifyArgs = z
  .object({ ...imageArgs, segmentation: segmentationSchema, known: z.array(z.string()).max(1000).optional() })
  .strict()

// ---- karyogram placements (what the technologist arranged) --------------------------------------

/** Where one object sits on the karyogram and how it is turned. `type: null` is the bin. */
export const placementSchema = z
  .object({
    id: z.string(),
    type: chromosomeTypeSchema.nullable(),
    /** Upside down relative to the display image (p-arm down there). */
    flip: z.boolean(),
    /** Extra rotation in degrees, clockwise. */
    rotate: z.number().finite().min(-180).max(180)
  })
  .strict()
export type Placement = z.infer<typeof placementSchema>

export const karyogramArgs = z
  .object({
    ...imageArgs,
    segmentation: segmentationSchema,
    placements: z.array(placementSchema).max(1000),
    resolution: bandResolutionSchema,
    /** Printed under the karyogram, e.g. "CG-2026-0042 · cell 8129A.001.A.png · 46,XY". */
    caption: z.string().max(300).optional(),
    /** Print resolution (dots per inch) at the report's karyogram width (180 mm); default 300. */
    dpi: z.number().int().min(72).max(1200).optional()
  })
  .strict()

export const iscnArgs = z
  .object({
    /** Per karyotyped cell: chromosomes placed of each type. */
    cells: z.array(z.record(chromosomeTypeSchema, z.number().int().min(0).max(20))).min(1).max(1000)
  })
  .strict()

export const validateIscnArgs = z.object({ text: z.string().max(2000), resolution: bandResolutionSchema.optional() }).strict()

const reportPerson = z.object({ name: z.string().min(1).max(120), role: z.string().max(60) }).strict()

export const reportArgs = z
  .object({
    siteName: z.string().max(120),
    case: z
      .object({
        accession: z.string().min(1).max(40),
        patientPseudonym: z.string().max(80),
        specimen: z.string().max(200),
        indication: z.string().max(500)
      })
      .strict(),
    result: z
      .object({
        version: z.number().int().min(1),
        iscn: z.string().min(1).max(2000),
        interpretation: z.string().max(10_000),
        signedBy: reportPerson,
        signedAt: z.string().min(1).max(40),
        /** Why this version replaces the previous one (amendments only). */
        amendmentReason: z.string().max(2000).optional()
      })
      .strict(),
    counts: z
      .object({
        counted: z.number().int().min(0),
        karyotyped: z.number().int().min(0),
        modal: z.number().int().nullable(),
        range: z.string().max(40)
      })
      .strict(),
    classifier: z.string().max(200),
    /** The karyogram printed in the report (one cell). */
    karyogram: karyogramArgs.omit({ dpi: true, caption: true }).extend({ cellName: z.string().max(260) }).strict()
  })
  .strict()

// ---- results ------------------------------------------------------------------------------------

/** The classifier's call on one object. */
export interface ChromosomeCall {
  id: string
  /** Natural-log probabilities over 1–22, X, Y (karyotypeTypes order). */
  logProbs: number[]
  best: ChromosomeType
  /** Probability that the display image has the p-arm up (null when there is no polarity estimate). */
  pUp: number | null
}

/** A chromosome straightened upright (as first estimated: shorter arm up), dark on white, for the board. */
export interface ChromosomeImage {
  id: string
  width: number
  height: number
  /** 8-bit grey, row-major. */
  data: Uint8Array
  /** Centromere from the top of the image, 0–1; null when no constriction was found. */
  centromere: number | null
  /** Length along the centre line in segmentation pixels. */
  length: number
}

/** Which classifier made the calls, for the result and the report. */
export interface ClassifierInfo {
  /** `name@version` of the model, or the rule's name. */
  id: string
  description: string
  kind: 'model' | 'rule'
}

export interface CellAnalysis {
  segmentation: Segmentation
  calls: ChromosomeCall[]
  dispatch: CellDispatch
  /** Display images of the objects not listed in `known` (all of them for a fresh analysis). */
  chromosomes: ChromosomeImage[]
  /** Display image pixels per segmentation pixel (the same for every chromosome of the cell). */
  chromosomeScale: number
  classifier: ClassifierInfo
  /** Seconds spent, by stage. */
  timings: { [stage: string]: number }
}

/** The image as segmented: 8-bit grey at the segmentation's size (coordinates match the objects). */
export interface MetaphaseDisplay {
  width: number
  height: number
  data: Uint8Array
}

export interface MetaphaseAnalysis extends CellAnalysis {
  display: MetaphaseDisplay
  /** SHA-256 of the file's bytes, lower-case hex. */
  sha256: string
}

export interface IscnPrefill {
  /** One ISCN string per cell, in the order given. */
  cells: string[]
  /** The case result: one clone, or a mosaic across cells ("mos 47,XXY[2]/46,XY[18]"). */
  result: string
}

export interface KaryogramImage {
  png: Uint8Array
  width: number
  height: number
  dpi: number
}

export interface ReportFile {
  pdf: Uint8Array
  pages: number
}

// ---- compile-time checks: validators and engine types agree -------------------------------------

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const segmentationMatches: Same<z.output<typeof segmentationSchema>, Segmentation> = true
void segmentationMatches
