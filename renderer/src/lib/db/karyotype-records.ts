/** Karyotyping records in the case database (Dexie v3). Every change to them is audited. */
import type {
  CellDispatch,
  Placement,
  ChromosomeCall,
  ChromosomeImage,
  ChromosomeType,
  ClassifierInfo,
  MetaphaseDisplay,
  Segmentation
} from '../../../../preload/karyotype'

/** pending: imported, not yet counted; counted: count confirmed; karyotyped: karyogram finished; excluded: not used. */
export const cellStatuses = ['pending', 'counted', 'karyotyped', 'excluded'] as const
export type CellStatus = (typeof cellStatuses)[number]

/** One metaphase cell of a karyotype case (its image file and what the technologist recorded about it). */
export interface KaryotypeCell {
  id: string
  caseId: string
  /** 1, 2, 3… in import order within the case. */
  order: number
  /** The image file's name, type and size as imported. */
  name: string
  mime: string
  size: number
  /** SHA-256 of the file's bytes (lower-case hex). */
  sha256: string
  /** Size of the image as segmented. */
  width: number
  height: number
  status: CellStatus
  /** Objects in the current segmentation (the engine's count, updated by every edit). */
  engineCount: number
  /** The count the technologist confirmed (null until confirmed). */
  count: number | null
  excludedReason: string
  createdAt: string
  createdBy: string
  updatedAt: string
  updatedBy: string
}

/** The original file, byte-exact, and its derived pictures. Keyed by cell id. */
export interface MetaphaseImageRecord {
  id: string
  caseId: string
  /** The file as imported, never modified. */
  bytes: Blob
  /** A small JPEG/PNG for the gallery. */
  thumbnail: Blob
  /** The image as segmented (8-bit grey; object coordinates refer to it). */
  display: MetaphaseDisplay
}

/** The engine's current analysis of a cell (after the technologist's segmentation edits). Keyed by cell id. */
export interface CellAnalysisRecord {
  id: string
  caseId: string
  segmentation: Segmentation
  calls: ChromosomeCall[]
  dispatch: CellDispatch
  /** Display images of every object of `segmentation`. */
  chromosomes: ChromosomeImage[]
  chromosomeScale: number
  classifier: ClassifierInfo
  /** Counts edits: 0 for the automatic analysis. */
  revision: number
  analysedAt: string
}

/** A technologist's change to where an object sits on the karyogram; absent fields follow the engine. */
export interface PlacementOverride {
  /** A type, or null for the bin. */
  type?: ChromosomeType | null
  flip?: boolean
  rotate?: number
  /** Position among the chromosomes of its slot (lower first). */
  order?: number
}

/** The technologist's karyogram corrections for a cell. Keyed by cell id. */
export interface KaryogramRecord {
  id: string
  caseId: string
  overrides: Record<string, PlacementOverride>
  updatedAt: string
  updatedBy: string
}

export type ResultStatus = 'draft' | 'signed'

/** What was counted when a result was signed: kept with the version so the report can be made again. */
export interface ResultCounts {
  counted: number
  karyotyped: number
  modal: number | null
  range: string
}

/**
 * One version of a case's result. Version 1 is the first report; each amendment adds a version and
 * leaves the signed ones as they were. Keyed by `${caseId}#${version}`.
 */
export interface KaryotypeResult {
  id: string
  caseId: string
  version: number
  status: ResultStatus
  iscn: string
  interpretation: string
  /** Ideogram band level shown and printed. */
  resolution: 400 | 550 | 850
  /** The cell whose karyogram the report prints. */
  reportCellId: string | null
  /** What the result was signed with (filled at signing). */
  counts: ResultCounts | null
  classifier: string
  signedBy: { id: string; name: string; role: string } | null
  signedAt: string | null
  /** Amendments: the reason given. */
  amendmentReason: string
  /** Signed versions: the printed cell's segmentation and karyogram as signed, so the report can be made again unchanged. */
  snapshot?: { cellId: string; segmentation: Segmentation; placements: Placement[] }
  createdAt: string
  createdBy: string
  updatedAt: string
  updatedBy: string
}
