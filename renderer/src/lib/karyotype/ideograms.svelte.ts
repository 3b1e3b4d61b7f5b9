/** Ideogram band data from main (the `ideogram` package's tables), fetched once per band level. */
import type { BandResolution, ChromosomeBands, ChromosomeType, Ideogram } from '../../../../preload/karyotype'
import { call } from '../ipc/client'

export class IdeogramStore {
  #loaded = $state.raw<Partial<Record<BandResolution, Ideogram>>>({})
  #pending = new Map<BandResolution, Promise<Ideogram>>()

  get(resolution: BandResolution): Ideogram | null {
    return this.#loaded[resolution] ?? null
  }

  bands(resolution: BandResolution, type: ChromosomeType): ChromosomeBands | null {
    return this.get(resolution)?.chromosomes.find((c) => c.chromosome === type) ?? null
  }

  load(resolution: BandResolution): Promise<Ideogram> {
    const have = this.#loaded[resolution]
    if (have) return Promise.resolve(have)
    let p = this.#pending.get(resolution)
    if (!p) {
      p = call('karyotype.ideogram', { resolution }).then((ideogram) => {
        this.#loaded = { ...this.#loaded, [resolution]: ideogram }
        return ideogram
      })
      p.catch(() => this.#pending.delete(resolution))
      this.#pending.set(resolution, p)
    }
    return p
  }
}

export const ideograms = new IdeogramStore()
