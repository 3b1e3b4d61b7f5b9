/**
 * One colour per chromosome type for outlines on the metaphase, spread around the hue circle in type
 * order with alternating lightness so neighbours (7 and 8, 21 and 22) differ; X and Y stand apart.
 */
import { karyotypeTypes, type ChromosomeType } from '../../../../preload/karyotype'

const palette = new Map<ChromosomeType, string>(
  karyotypeTypes.map((t, i) => {
    if (t === 'X') return [t, 'hsl(330 85% 52%)']
    if (t === 'Y') return [t, 'hsl(200 95% 42%)']
    const hue = Math.round((i * 137.508) % 360)
    return [t, `hsl(${hue} ${i % 2 ? 70 : 85}% ${i % 3 === 0 ? 40 : 47}%)`]
  })
)

/** Unplaced objects (the bin) are grey. */
export const binColour = 'hsl(220 8% 55%)'

export function typeColour(type: ChromosomeType | null): string {
  return type ? (palette.get(type) ?? binColour) : binColour
}
