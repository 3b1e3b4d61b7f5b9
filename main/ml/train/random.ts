/** A small seeded generator (xoshiro128**) whose whole state can be saved in a checkpoint. */
export class Random {
  private s: Uint32Array

  constructor(seed: number | number[]) {
    if (Array.isArray(seed)) this.s = Uint32Array.from(seed)
    else {
      // SplitMix32 expands one number into four non-zero words.
      this.s = new Uint32Array(4)
      let x = seed >>> 0
      for (let i = 0; i < 4; i++) {
        x = (x + 0x9e3779b9) >>> 0
        let z = x
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
        this.s[i] = (z ^ (z >>> 16)) >>> 0 || 1
      }
    }
  }

  get state(): number[] {
    return [...this.s]
  }

  /** Uniform in [0, 1). */
  next(): number {
    const s = this.s
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0
    const t = s[1] << 9
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = rotl(s[3], 11)
    return result / 4294967296
  }

  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const t = a[i]
      a[i] = a[j]
      a[j] = t
    }
    return a
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
}
