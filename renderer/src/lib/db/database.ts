import Dexie, { type EntityTable, type Table } from 'dexie'
import type { FeatureCacheRecord } from './feature-cache'
import type { CellAnalysisRecord, KaryogramRecord, KaryotypeCell, KaryotypeResult, MetaphaseImageRecord } from './karyotype-records'
import type { ModelRecord } from './models'
import type { AuditEntry, CaseRecord, Reviewer } from './types'

export const databaseName = 'lightbox'

/**
 * The case database: the system of record. Schema changes go through new Dexie versions with
 * tested upgrades; never edit a released version's stores.
 */
export class LightboxDB extends Dexie {
  // Records carry their own string id, so the insert type is the record itself.
  cases!: Table<CaseRecord, string>
  reviewers!: Table<Reviewer, string>
  audit!: EntityTable<AuditEntry, 'seq'>
  /** v2: mirror of the model registry (main owns the files). */
  models!: Table<ModelRecord, string>
  /** v2: backbone features by [backbone+hash]; derived data, rebuilt by running the backbone. */
  featureCache!: Table<FeatureCacheRecord, [string, string]>
  /** v3: karyotyping (metaphase cells, their images, analyses, karyogram corrections, result versions). */
  karyotypeCells!: Table<KaryotypeCell, string>
  metaphaseImages!: Table<MetaphaseImageRecord, string>
  cellAnalyses!: Table<CellAnalysisRecord, string>
  karyograms!: Table<KaryogramRecord, string>
  karyotypeResults!: Table<KaryotypeResult, string>

  constructor(name: string = databaseName) {
    super(name)
    this.version(1).stores({
      cases: 'id, &accession, kind, status, archived, updatedAt, [archived+updatedAt]',
      reviewers: 'id, name, active',
      audit: '++seq, at, [entity+entityId], reviewerId'
    })
    // v2 (models): registry mirror and feature cache; new tables only, nothing to upgrade.
    this.version(2).stores({
      models: 'id, name, task, source',
      featureCache: '[backbone+hash], backbone'
    })
    // v3 (karyotyping): new tables only, nothing to upgrade.
    this.version(3).stores({
      karyotypeCells: 'id, caseId, [caseId+order], status',
      metaphaseImages: 'id, caseId',
      cellAnalyses: 'id, caseId',
      karyograms: 'id, caseId',
      karyotypeResults: 'id, caseId, [caseId+version], status'
    })
  }
}
