/**
 * Reading DICOM text attributes: Specific Character Set (0008,0005) → a TextDecoder, and the value
 * formats a worklist shows (dates, times, person names).
 */
import type { DataSet } from 'dicom-parser'

/** DICOM defined terms (PS3.3 C.12.1.1.2) → WHATWG encoding labels that TextDecoder knows. */
const encodings: Record<string, string> = {
  '': 'latin1', // default repertoire (ASCII); latin1 reads it byte for byte
  ISO_IR_6: 'latin1',
  ISO_IR_100: 'latin1',
  ISO_IR_101: 'iso-8859-2',
  ISO_IR_109: 'iso-8859-3',
  ISO_IR_110: 'iso-8859-4',
  ISO_IR_144: 'iso-8859-5',
  ISO_IR_127: 'iso-8859-6',
  ISO_IR_126: 'iso-8859-7',
  ISO_IR_138: 'iso-8859-8',
  ISO_IR_148: 'iso-8859-9',
  ISO_IR_203: 'iso-8859-15',
  ISO_IR_166: 'windows-874',
  ISO_IR_13: 'shift_jis',
  ISO_IR_192: 'utf-8',
  GB18030: 'gb18030',
  GBK: 'gbk',
  ISO_2022_IR_6: 'latin1',
  ISO_2022_IR_100: 'latin1',
  ISO_2022_IR_101: 'iso-8859-2',
  ISO_2022_IR_109: 'iso-8859-3',
  ISO_2022_IR_110: 'iso-8859-4',
  ISO_2022_IR_144: 'iso-8859-5',
  ISO_2022_IR_127: 'iso-8859-6',
  ISO_2022_IR_126: 'iso-8859-7',
  ISO_2022_IR_138: 'iso-8859-8',
  ISO_2022_IR_148: 'iso-8859-9',
  ISO_2022_IR_203: 'iso-8859-15',
  ISO_2022_IR_13: 'shift_jis',
  ISO_2022_IR_87: 'iso-2022-jp',
  ISO_2022_IR_159: 'iso-2022-jp',
  ISO_2022_IR_149: 'euc-kr',
  ISO_2022_IR_58: 'gb18030'
}

export interface TextReader {
  /** A text attribute decoded with the file's character set, trimmed; null when absent or empty. */
  text(tag: string, index?: number): string | null
  /** Set when the file's character set could not be honoured exactly (said once, as a warning). */
  warning: string | null
}

export function textReader(ds: DataSet): TextReader {
  const declared = (ds.string('x00080005') ?? '').split('\\').map((s) => s.trim().replace(/ /g, '_'))
  // With code extensions (ISO 2022 escapes) the first value is the default repertoire: decoding with the
  // extension named next covers the common single-extension case (Japanese, Korean, Chinese).
  const chosen = declared.find((term, i) => i > 0 && term !== '') ?? declared[0] ?? ''
  let warning: string | null = null
  let decoder: TextDecoder
  const label = encodings[chosen]
  try {
    decoder = new TextDecoder(label ?? 'latin1')
  } catch {
    decoder = new TextDecoder('latin1')
    warning = `Character set ${chosen} is not available here; names are shown as Latin-1.`
  }
  if (label === undefined) warning = `Character set ${chosen || declared.join('\\')} is not recognised; names are shown as Latin-1.`
  return {
    warning,
    text(tag, index = 0) {
      const el = ds.elements[tag]
      if (!el || el.length === 0) return null
      const raw = decoder.decode(ds.byteArray.subarray(el.dataOffset, el.dataOffset + el.length))
      const value = raw.split('\\')[index]
      if (value === undefined) return null
      const trimmed = value.replace(/\0+$/, '').trim()
      return trimmed === '' ? null : trimmed
    }
  }
}

/** DA `YYYYMMDD` (or the old `YYYY.MM.DD`) → `YYYY-MM-DD`; null when not a valid date. */
export function isoDate(value: string | null | undefined): string | null {
  if (!value) return null
  const m = /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(value.trim())
  if (!m) return null
  const [, y, mo, d] = m
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31) return null
  return `${y}-${mo}-${d}`
}

/** TM `HHMMSS.FFFFFF` (parts optional, or the old `HH:MM:SS`) → `HH:MM:SS`; null when not a valid time. */
export function isoTime(value: string | null | undefined): string | null {
  if (!value) return null
  const m = /^(\d{2}):?(\d{2})?:?(\d{2})?(?:\.\d*)?$/.exec(value.trim())
  if (!m) return null
  const [, h, mi = '00', s = '00'] = m
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) return null
  return `${h}:${mi}:${s}`
}

/** The alphabetic component group of a PN value, trailing empty components dropped: `DOE^JANE`. */
export function personName(value: string | null): string | null {
  if (!value) return null
  const alphabetic = (value.split('=')[0] ?? '').replace(/\^+$/, '').trim()
  return alphabetic === '' ? null : alphabetic
}

/** `DOE^JANE^M^DR^` → `DOE, JANE M` (prefix and suffix left out): how a worklist shows a PN. */
export function formatPersonName(value: string | null): string {
  const pn = personName(value)
  if (!pn) return ''
  const [family = '', given = '', middle = ''] = pn.split('^')
  const rest = [given, middle].filter((s) => s.trim() !== '').join(' ')
  return rest ? `${family.trim()}, ${rest}` : family.trim()
}
