/** The worklist attributes of a DICOM data set (patient, study, series, instance, acquisition). */
import type { DataSet } from 'dicom-parser'
import type { PixelSpacing, XrayMetadata } from '../../types'
import { isoDate, isoTime, personName, type TextReader } from './text'

/** Code strings and UIDs: ASCII by definition, so dicom-parser's reader is right for them. */
function ascii(ds: DataSet, tag: string): string | null {
  const v = ds.string(tag)?.replace(/\0/g, '').trim()
  return v ? v : null
}

function integer(ds: DataSet, tag: string): number | null {
  const v = ascii(ds, tag)
  if (v === null) return null
  const n = Number.parseInt(v, 10)
  return Number.isFinite(n) ? n : null
}

export function readMetadata(ds: DataSet, text: TextReader): XrayMetadata {
  return {
    patientId: text.text('x00100020'),
    patientName: personName(text.text('x00100010')),
    patientSex: ascii(ds, 'x00100040'),
    patientAge: ascii(ds, 'x00101010'),
    patientBirthDate: isoDate(ascii(ds, 'x00100030')),
    accessionNumber: text.text('x00080050'),
    studyInstanceUid: ascii(ds, 'x0020000d'),
    seriesInstanceUid: ascii(ds, 'x0020000e'),
    sopInstanceUid: ascii(ds, 'x00080018') ?? ascii(ds, 'x00020003'),
    sopClassUid: ascii(ds, 'x00080016') ?? ascii(ds, 'x00020002'),
    modality: ascii(ds, 'x00080060'),
    viewPosition: ascii(ds, 'x00185101'),
    laterality: ascii(ds, 'x00200062') ?? ascii(ds, 'x00200060'),
    bodyPart: ascii(ds, 'x00180015'),
    studyDate: isoDate(ascii(ds, 'x00080020') ?? ascii(ds, 'x00080021') ?? ascii(ds, 'x00080022') ?? ascii(ds, 'x00080023')),
    studyTime: isoTime(ascii(ds, 'x00080030') ?? ascii(ds, 'x00080031') ?? ascii(ds, 'x00080032') ?? ascii(ds, 'x00080033')),
    studyDescription: text.text('x00081030'),
    seriesDescription: text.text('x0008103e'),
    seriesNumber: integer(ds, 'x00200011'),
    instanceNumber: integer(ds, 'x00200013'),
    institutionName: text.text('x00080080'),
    manufacturer: text.text('x00080070'),
    manufacturerModelName: text.text('x00081090')
  }
}

/** Pixel Spacing, else Imager Pixel Spacing (projection radiography), else Nominal Scanned Pixel Spacing. */
export function readPixelSpacing(ds: DataSet): PixelSpacing | null {
  const sources = [
    ['x00280030', 'PixelSpacing'],
    ['x00181164', 'ImagerPixelSpacing'],
    ['x00182010', 'NominalScannedPixelSpacing']
  ] as const
  for (const [tag, source] of sources) {
    const row = ds.floatString(tag, 0)
    const column = ds.floatString(tag, 1) ?? row
    if (row !== undefined && column !== undefined && row > 0 && column > 0 && Number.isFinite(row) && Number.isFinite(column)) {
      return { row, column, source }
    }
  }
  return null
}
