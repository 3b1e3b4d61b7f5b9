import { errorMessage } from '../ipc/client'

export interface Notice {
  id: number
  kind: 'error' | 'info'
  text: string
}

/** Messages shown to the user in the notice bar: errors in plain words, confirmations. */
export class Notices {
  #items = $state.raw<Notice[]>([])
  #next = 1

  get items(): Notice[] {
    return this.#items
  }

  error(err: unknown): void {
    this.#push('error', errorMessage(err))
  }

  info(text: string): void {
    this.#push('info', text)
    const id = this.#next - 1
    setTimeout(() => this.dismiss(id), 4000)
  }

  dismiss(id: number): void {
    this.#items = this.#items.filter((n) => n.id !== id)
  }

  #push(kind: Notice['kind'], text: string): void {
    this.#items = [...this.#items.slice(-4), { id: this.#next++, kind, text }]
  }
}

export const notices = new Notices()
