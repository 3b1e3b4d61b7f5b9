import Dexie, { type EntityTable, type Table } from 'dexie'
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

  constructor(name: string = databaseName) {
    super(name)
    this.version(1).stores({
      cases: 'id, &accession, kind, status, archived, updatedAt, [archived+updatedAt]',
      reviewers: 'id, name, active',
      audit: '++seq, at, [entity+entityId], reviewerId'
    })
  }
}
