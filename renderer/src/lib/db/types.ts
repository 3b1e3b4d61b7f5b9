/** Records stored in the renderer's case database (Dexie over IndexedDB). */

export const caseKinds = ['karyotype', 'xray'] as const
export type CaseKind = (typeof caseKinds)[number]

export const caseStatuses = ['open', 'in_review', 'signed'] as const
export type CaseStatus = (typeof caseStatuses)[number]

export const reviewerRoles = ['technologist', 'cytogeneticist', 'radiologist', 'resident', 'administrator'] as const
export type ReviewerRole = (typeof reviewerRoles)[number]

export interface CaseRecord {
  id: string
  kind: CaseKind
  /** The lab's accession number: unique. */
  accession: string
  /** A pseudonym, never the patient's name: Lightbox stores no direct identifiers by default. */
  patientPseudonym: string
  /** Karyotyping: specimen type (e.g. peripheral blood). X-ray: study description. */
  specimen: string
  indication: string
  priority: 'routine' | 'urgent'
  status: CaseStatus
  /** 1 when archived (IndexedDB cannot index booleans). */
  archived: 0 | 1
  createdAt: string
  createdBy: string
  updatedAt: string
  updatedBy: string
}

export interface Reviewer {
  id: string
  name: string
  initials: string
  role: ReviewerRole
  createdAt: string
  /** 0 when retired: kept so that old audit entries still resolve. */
  active: 0 | 1
}

export type AuditAction = 'create' | 'update' | 'delete' | 'archive' | 'unarchive' | 'sign' | 'amend'

export interface AuditEntry {
  seq?: number
  at: string
  reviewerId: string
  reviewerName: string
  /** Table the change touched, e.g. 'cases'. */
  entity: string
  entityId: string
  action: AuditAction
  /** Short description for the audit view, e.g. 'status: open → signed'. */
  summary: string
  before: unknown
  after: unknown
}

/** Who is making a change: every mutating function takes one. */
export interface Actor {
  id: string
  name: string
}
