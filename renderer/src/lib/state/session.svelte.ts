import { db } from '../db'
import { createReviewer, listReviewers, type NewReviewer } from '../db/reviewers'
import type { Actor, Reviewer } from '../db/types'

const storageKey = 'lightbox.reviewerId'

/**
 * Who is working. The user picks a local reviewer profile at start; the choice lasts for this
 * window's session (a reload keeps it, a restart asks again) and every change records it.
 */
export class Session {
  #reviewers = $state.raw<Reviewer[]>([])
  #currentId = $state<string | null>(sessionStorage.getItem(storageKey))
  #loaded = $state(false)

  current = $derived(this.#reviewers.find((r) => r.id === this.#currentId) ?? null)

  get reviewers(): Reviewer[] {
    return this.#reviewers
  }

  get loaded(): boolean {
    return this.#loaded
  }

  /** The current reviewer as the actor of a change; throws when nobody is signed in. */
  get actor(): Actor {
    const r = this.current
    if (!r) throw new Error('Pick who you are before making changes.')
    return { id: r.id, name: r.name }
  }

  async load(): Promise<void> {
    this.#reviewers = await listReviewers(db)
    this.#loaded = true
  }

  select(id: string): void {
    sessionStorage.setItem(storageKey, id)
    this.#currentId = id
  }

  signOut(): void {
    sessionStorage.removeItem(storageKey)
    this.#currentId = null
  }

  async add(input: NewReviewer): Promise<Reviewer> {
    const reviewer = await createReviewer(db, input, this.current ?? undefined)
    await this.load()
    return reviewer
  }
}

export const session = new Session()
