import { z } from 'zod'
import { appendAudit } from './audit'
import type { LightboxDB } from './database'
import { reviewerRoles, type Reviewer } from './types'

export const newReviewerSchema = z.object({
  name: z.string().trim().min(2, 'Name is required').max(80),
  initials: z
    .string()
    .trim()
    .min(1, 'Initials are required')
    .max(4, 'Initials are at most 4 letters')
    .regex(/^[A-Za-z]+$/, 'Initials are letters only')
    .transform((s) => s.toUpperCase()),
  role: z.enum(reviewerRoles)
})
export type NewReviewer = z.input<typeof newReviewerSchema>

/**
 * Creates a local reviewer profile. The first profile is created by nobody in particular, so it is
 * recorded as created by itself.
 */
export async function createReviewer(db: LightboxDB, input: NewReviewer, createdBy?: Reviewer): Promise<Reviewer> {
  const data = newReviewerSchema.parse(input)
  const reviewer: Reviewer = { id: crypto.randomUUID(), ...data, createdAt: new Date().toISOString(), active: 1 }
  const actor = createdBy ?? reviewer
  await db.transaction('rw', db.reviewers, db.audit, async () => {
    const clash = await db.reviewers.filter((r) => r.active === 1 && r.initials === reviewer.initials).first()
    if (clash) throw new Error(`Initials ${reviewer.initials} are already used by ${clash.name}`)
    await db.reviewers.add(reviewer)
    await appendAudit(db, { id: actor.id, name: actor.name }, 'reviewers', reviewer.id, 'create', null, reviewer)
  })
  return reviewer
}

export function listReviewers(db: LightboxDB): Promise<Reviewer[]> {
  return db.reviewers.where('active').equals(1).sortBy('name')
}
