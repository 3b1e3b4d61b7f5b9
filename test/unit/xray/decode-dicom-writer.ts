/**
 * Test helper: writes small DICOM Part 10 files (explicit or implicit VR little endian, or explicit big
 * endian), so that tests can build the cases the sample files lack (VOI LUT sequences, signed data with
 * overlay bits, colour, character sets, unsupported syntaxes) without binary fixtures.
 */
export type DicomValue = string | number | number[] | Uint8Array | Uint16Array | DicomElement[][] | Fragments

export interface DicomElement {
  /** e.g. 0x00280010 */
  tag: number
  vr: string
  value: DicomValue
}

/** Encapsulated pixel data: fragments after an empty basic offset table. */
export class Fragments {
  constructor(readonly fragments: Uint8Array[], readonly offsets: number[] = []) {}
}

const longVrs = new Set(['OB', 'OW', 'OF', 'SQ', 'UN', 'UT', 'UC', 'UR', 'OD', 'OL', 'OV'])

export const syntaxes = {
  implicit: '1.2.840.10008.1.2',
  explicit: '1.2.840.10008.1.2.1',
  bigEndian: '1.2.840.10008.1.2.2'
}

export interface WriteOptions {
  transferSyntax?: string
  /** Leave out the 128-byte preamble, "DICM" and the meta header (a bare data set). */
  bare?: boolean
}

export function writeDicom(elements: DicomElement[], options: WriteOptions = {}): Uint8Array {
  const syntax = options.transferSyntax ?? syntaxes.explicit
  const implicit = syntax === syntaxes.implicit
  const bigEndian = syntax === syntaxes.bigEndian
  const body = encodeElements(sorted(elements), { implicit, bigEndian })
  if (options.bare) return body
  const metaElements = encodeElements(
    [
      { tag: 0x00020001, vr: 'OB', value: new Uint8Array([0, 1]) },
      { tag: 0x00020002, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.1.1' },
      { tag: 0x00020003, vr: 'UI', value: '1.2.3.4.5.6.7' },
      { tag: 0x00020010, vr: 'UI', value: syntax },
      { tag: 0x00020012, vr: 'UI', value: '1.2.3.4' }
    ],
    { implicit: false, bigEndian: false }
  )
  const groupLength = encodeElements([{ tag: 0x00020000, vr: 'UL', value: metaElements.length }], { implicit: false, bigEndian: false })
  return concat([new Uint8Array(128), ascii('DICM'), groupLength, metaElements, body])
}

function sorted(elements: DicomElement[]): DicomElement[] {
  return [...elements].sort((a, b) => a.tag - b.tag)
}

interface Encoding {
  implicit: boolean
  bigEndian: boolean
}

function encodeElements(elements: DicomElement[], enc: Encoding): Uint8Array {
  return concat(elements.map((e) => encodeElement(e, enc)))
}

function encodeElement(e: DicomElement, enc: Encoding): Uint8Array {
  if (e.value instanceof Fragments) return encodeEncapsulated(e, e.value, enc)
  const value = encodeValue(e, enc)
  const header: number[] = []
  const u16 = (v: number) => (enc.bigEndian ? header.push(v >> 8, v & 0xff) : header.push(v & 0xff, v >> 8))
  const u32 = (v: number) => (enc.bigEndian ? header.push(v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff) : header.push(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24))
  // Group 0002 is always little endian; callers pass that encoding for it.
  u16(e.tag >>> 16)
  u16(e.tag & 0xffff)
  if (enc.implicit) u32(value.length)
  else {
    header.push(e.vr.charCodeAt(0), e.vr.charCodeAt(1))
    if (longVrs.has(e.vr)) {
      header.push(0, 0)
      u32(value.length)
    } else u16(value.length)
  }
  return concat([new Uint8Array(header), value])
}

function encodeValue(e: DicomElement, enc: Encoding): Uint8Array {
  const v = e.value
  if (e.vr === 'SQ') {
    const items = (v as DicomElement[][]).map((item) => {
      const content = encodeElements(sorted(item), enc)
      const head = new Uint8Array(8)
      const dv = new DataView(head.buffer)
      dv.setUint16(0, 0xfffe, !enc.bigEndian)
      dv.setUint16(2, 0xe000, !enc.bigEndian)
      dv.setUint32(4, content.length, !enc.bigEndian)
      return concat([head, content])
    })
    return concat(items)
  }
  if (v instanceof Uint8Array) return pad(v, e.vr)
  if (v instanceof Uint16Array) {
    const out = new Uint8Array(v.length * 2)
    const dv = new DataView(out.buffer)
    v.forEach((x, i) => dv.setUint16(2 * i, x, !enc.bigEndian))
    return out
  }
  const numbers = typeof v === 'number' ? [v] : Array.isArray(v) ? (v as number[]) : null
  if (numbers && ['US', 'SS', 'UL', 'SL', 'FL', 'FD'].includes(e.vr)) {
    const size = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8 }[e.vr as 'US']
    const out = new Uint8Array(numbers.length * size)
    const dv = new DataView(out.buffer)
    numbers.forEach((x, i) => {
      const le = !enc.bigEndian
      if (e.vr === 'US') dv.setUint16(i * 2, x, le)
      else if (e.vr === 'SS') dv.setInt16(i * 2, x, le)
      else if (e.vr === 'UL') dv.setUint32(i * 4, x, le)
      else if (e.vr === 'SL') dv.setInt32(i * 4, x, le)
      else if (e.vr === 'FL') dv.setFloat32(i * 4, x, le)
      else dv.setFloat64(i * 8, x, le)
    })
    return out
  }
  const text = typeof v === 'string' ? v : numbers ? numbers.join('\\') : String(v)
  return pad(new TextEncoder().encode(text), e.vr)
}

function encodeEncapsulated(e: DicomElement, f: Fragments, enc: Encoding): Uint8Array {
  const parts: Uint8Array[] = []
  const head = new Uint8Array(12)
  const dv = new DataView(head.buffer)
  dv.setUint16(0, e.tag >>> 16, true)
  dv.setUint16(2, e.tag & 0xffff, true)
  head.set([0x4f, 0x42, 0, 0], 4) // OB
  dv.setUint32(8, 0xffffffff, true)
  parts.push(enc.implicit ? concat([head.subarray(0, 4), head.subarray(8, 12)]) : head)
  const offsets = new Uint8Array(f.offsets.length * 4)
  f.offsets.forEach((o, i) => new DataView(offsets.buffer).setUint32(4 * i, o, true))
  parts.push(item(offsets))
  for (const frag of f.fragments) parts.push(item(frag.length % 2 ? concat([frag, new Uint8Array(1)]) : frag))
  const end = new Uint8Array(8)
  new DataView(end.buffer).setUint16(0, 0xfffe, true)
  new DataView(end.buffer).setUint16(2, 0xe0dd, true)
  parts.push(end)
  return concat(parts)
}

function item(content: Uint8Array): Uint8Array {
  const head = new Uint8Array(8)
  const dv = new DataView(head.buffer)
  dv.setUint16(0, 0xfffe, true)
  dv.setUint16(2, 0xe000, true)
  dv.setUint32(4, content.length, true)
  return concat([head, content])
}

function pad(bytes: Uint8Array, vr: string): Uint8Array {
  if (bytes.length % 2 === 0) return bytes
  const padByte = vr === 'UI' || vr === 'OB' || vr === 'UN' ? 0 : 0x20
  return concat([bytes, new Uint8Array([padByte])])
}

function ascii(s: string): Uint8Array {
  return new TextEncoder().encode(s)
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** The Image Pixel Module for a grey image, plus the pixel data. */
export function greyImage(options: {
  rows: number
  columns: number
  bitsAllocated: 8 | 16
  bitsStored?: number
  signed?: boolean
  photometric?: string
  pixels: Uint8Array | Uint16Array | Fragments
  frames?: number
  extra?: DicomElement[]
}): DicomElement[] {
  const bitsStored = options.bitsStored ?? options.bitsAllocated
  const els: DicomElement[] = [
    { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.1.1' },
    { tag: 0x00080018, vr: 'UI', value: '1.2.3.4.5.6.7' },
    { tag: 0x00080060, vr: 'CS', value: 'DX' },
    { tag: 0x00280002, vr: 'US', value: 1 },
    { tag: 0x00280004, vr: 'CS', value: options.photometric ?? 'MONOCHROME2' },
    { tag: 0x00280010, vr: 'US', value: options.rows },
    { tag: 0x00280011, vr: 'US', value: options.columns },
    { tag: 0x00280100, vr: 'US', value: options.bitsAllocated },
    { tag: 0x00280101, vr: 'US', value: bitsStored },
    { tag: 0x00280102, vr: 'US', value: bitsStored - 1 },
    { tag: 0x00280103, vr: 'US', value: options.signed ? 1 : 0 },
    { tag: 0x7fe00010, vr: options.bitsAllocated === 8 ? 'OB' : 'OW', value: options.pixels },
    ...(options.extra ?? [])
  ]
  if (options.frames) els.push({ tag: 0x00280008, vr: 'IS', value: String(options.frames) })
  return els
}
