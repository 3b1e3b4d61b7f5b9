/**
 * Parses DICOM bytes into a dicom-parser DataSet, turning its string exceptions into LabErrors that name
 * the file and the problem. Accepts Part 10 files (preamble + "DICM") and bare data sets without a
 * preamble (older exports), and inflates the deflated transfer syntax into a new buffer: the input bytes
 * are only read, never written.
 */
import { inflateRawSync } from 'node:zlib'
import dicomParser, { type DataSet, type ParseDicomOptions } from 'dicom-parser'
import { LabError } from '../../../errors'
import { deflatedTransferSyntax, explicitLittleEndian, implicitLittleEndian } from './transfer-syntax'

/** True when the bytes look like DICOM: "DICM" at 128, or a bare data set starting with group 0002/0008. */
export function looksLikeDicom(bytes: Uint8Array): boolean {
  if (hasPart10Prefix(bytes)) return true
  return bareDataSetSyntax(bytes) !== null
}

function hasPart10Prefix(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d
}

/**
 * For a data set without preamble: the transfer syntax its first element suggests (explicit when a
 * two-letter VR follows the tag), or null when it does not start like DICOM (group 0002 or 0008, little endian).
 */
function bareDataSetSyntax(bytes: Uint8Array): string | null {
  if (bytes.length < 12) return null
  const group = bytes[0] | (bytes[1] << 8)
  if (group !== 0x0002 && group !== 0x0008) return null
  const element = bytes[2] | (bytes[3] << 8)
  if (element > 0x0100) return null
  const isUpper = (b: number) => b >= 0x41 && b <= 0x5a
  return isUpper(bytes[4]) && isUpper(bytes[5]) ? explicitLittleEndian : implicitLittleEndian
}

export interface ParsedDicom {
  dataSet: DataSet
  transferSyntaxUid: string
}

export function parseDicomBytes(bytes: Uint8Array, name: string): ParsedDicom {
  if (bytes.length === 0) throw new LabError('bad_input', `${name} is empty.`, { file: name })
  let source = bytes
  let options: ParseDicomOptions = { inflater: (arr, position) => inflate(arr, position, name) }
  if (!hasPart10Prefix(bytes)) {
    const syntax = bareDataSetSyntax(bytes)
    if (syntax === null) {
      throw new LabError('bad_input', `${name} is not a DICOM file (no "DICM" marker at byte 128).`, { file: name })
    }
    if ((bytes[0] | (bytes[1] << 8)) === 0x0002) {
      // A file meta header without its preamble: put a blank preamble in front (a new buffer).
      source = new Uint8Array(132 + bytes.length)
      source.set([0x44, 0x49, 0x43, 0x4d], 128)
      source.set(bytes, 132)
    } else {
      options = { ...options, TransferSyntaxUID: syntax }
    }
  }
  const metaEnd = metaHeaderEnd(source)
  if (metaEnd !== null && metaEnd > source.length) {
    throw new LabError('bad_input', `${name} is truncated: it ends (at ${bytes.length} bytes) inside its file meta header.`, {
      file: name,
      problem: 'truncated'
    })
  }
  let dataSet: DataSet
  try {
    dataSet = dicomParser.parseDicom(source, options)
  } catch (err) {
    throw parseError(err, name, source.length)
  }
  const transferSyntaxUid = (dataSet.string('x00020010') ?? options.TransferSyntaxUID ?? '').replace(/\0/g, '').trim()
  if (!transferSyntaxUid) {
    throw new LabError('bad_input', `${name} has no transfer syntax in its file meta header (0002,0010).`, { file: name })
  }
  return { dataSet, transferSyntaxUid }
}

/** Where the file meta header ends, from its group length (0002,0000) UL; null when it does not start with one. */
function metaHeaderEnd(bytes: Uint8Array): number | null {
  if (!hasPart10Prefix(bytes) || bytes.length < 144) return null
  const isGroupLength = bytes[132] === 0x02 && bytes[133] === 0 && bytes[134] === 0 && bytes[135] === 0 && bytes[136] === 0x55 && bytes[137] === 0x4c
  if (!isGroupLength) return null
  return 144 + new DataView(bytes.buffer, bytes.byteOffset + 140, 4).getUint32(0, true)
}

/** dicom-parser's inflater hook: meta header bytes as they are, then the inflated data set, in a new buffer. */
function inflate(arr: Uint8Array, position: number, name: string): Uint8Array {
  let inflated: Uint8Array
  try {
    inflated = inflateRawSync(arr.subarray(position))
  } catch (err) {
    throw new LabError('bad_input', `${name} is damaged: its deflated data set cannot be inflated (${(err as Error).message}).`, {
      file: name,
      transferSyntax: deflatedTransferSyntax
    })
  }
  const out = new Uint8Array(position + inflated.length)
  out.set(arr.subarray(0, position), 0)
  out.set(inflated, position)
  return out
}

/** dicom-parser throws strings, Errors, or `{exception, dataSet}` with what it read before failing. */
function parseError(err: unknown, name: string, size: number): LabError {
  if (err instanceof LabError) return err
  const inner = typeof err === 'object' && err !== null && 'exception' in err ? (err as { exception: unknown }).exception : err
  if (inner instanceof LabError) return inner
  const text = inner instanceof Error ? inner.message : String(inner)
  const partial = typeof err === 'object' && err !== null && 'dataSet' in err ? (err as { dataSet?: DataSet }).dataSet : undefined
  const lastTag = partial ? Object.keys(partial.elements).at(-1) : undefined
  const where = lastTag ? ` after element ${formatTag(lastTag)}` : ''
  if (/past end of buffer|buffer overread|buffer overrun|cannot seek|position cannot be greater/i.test(text)) {
    return new LabError('bad_input', `${name} is truncated: the DICOM data ends (at ${size} bytes) in the middle of an element${where}.`, {
      file: name,
      problem: 'truncated',
      parser: text
    })
  }
  if (/DICM prefix not found/i.test(text)) {
    return new LabError('bad_input', `${name} is not a DICOM file (no "DICM" marker at byte 128).`, { file: name })
  }
  if (/missing required meta header attribute 0002,0010/i.test(text)) {
    return new LabError('bad_input', `${name} has no transfer syntax in its file meta header (0002,0010).`, { file: name })
  }
  return new LabError('bad_input', `${name} is not a readable DICOM file: ${text}${where}.`, { file: name, parser: text })
}

/** 'x7fe00010' → '(7FE0,0010)' */
export function formatTag(tag: string): string {
  const hex = tag.replace(/^x/, '').toUpperCase()
  return `(${hex.slice(0, 4)},${hex.slice(4, 8)})`
}
