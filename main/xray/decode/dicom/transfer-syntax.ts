/**
 * DICOM transfer syntaxes (PS3.5 §10, PS3.6 Annex A): which codec decodes each one, or why it is refused.
 */

export type PixelCodec =
  | 'native' // uncompressed, little endian (explicit, implicit, deflated after inflation)
  | 'native-big-endian'
  | 'rle'
  | 'jpeg' // JPEG baseline (8-bit) and extended (8/12-bit), DCT
  | 'jpeg-lossless'
  | 'jpeg-ls'
  | 'jpeg-2000'

export interface TransferSyntax {
  uid: string
  name: string
  /** null: recognised but not supported (the name says what it is). */
  codec: PixelCodec | null
  lossy: boolean
}

const table: TransferSyntax[] = [
  { uid: '1.2.840.10008.1.2', name: 'Implicit VR Little Endian', codec: 'native', lossy: false },
  { uid: '1.2.840.10008.1.2.1', name: 'Explicit VR Little Endian', codec: 'native', lossy: false },
  { uid: '1.2.840.10008.1.2.1.99', name: 'Deflated Explicit VR Little Endian', codec: 'native', lossy: false },
  { uid: '1.2.840.10008.1.2.2', name: 'Explicit VR Big Endian', codec: 'native-big-endian', lossy: false },
  { uid: '1.2.840.10008.1.2.5', name: 'RLE Lossless', codec: 'rle', lossy: false },
  { uid: '1.2.840.10008.1.2.4.50', name: 'JPEG Baseline (Process 1)', codec: 'jpeg', lossy: true },
  { uid: '1.2.840.10008.1.2.4.51', name: 'JPEG Extended (Process 2 & 4)', codec: 'jpeg', lossy: true },
  { uid: '1.2.840.10008.1.2.4.57', name: 'JPEG Lossless (Process 14)', codec: 'jpeg-lossless', lossy: false },
  { uid: '1.2.840.10008.1.2.4.70', name: 'JPEG Lossless SV1 (Process 14, Selection Value 1)', codec: 'jpeg-lossless', lossy: false },
  { uid: '1.2.840.10008.1.2.4.80', name: 'JPEG-LS Lossless', codec: 'jpeg-ls', lossy: false },
  { uid: '1.2.840.10008.1.2.4.81', name: 'JPEG-LS Near-Lossless', codec: 'jpeg-ls', lossy: true },
  { uid: '1.2.840.10008.1.2.4.90', name: 'JPEG 2000 Lossless', codec: 'jpeg-2000', lossy: false },
  { uid: '1.2.840.10008.1.2.4.91', name: 'JPEG 2000', codec: 'jpeg-2000', lossy: true },
  // Recognised, not supported: named in the refusal.
  { uid: '1.2.840.10008.1.2.4.52', name: 'JPEG Extended (Process 3 & 5, retired)', codec: null, lossy: true },
  { uid: '1.2.840.10008.1.2.4.53', name: 'JPEG Spectral Selection (retired)', codec: null, lossy: true },
  { uid: '1.2.840.10008.1.2.4.55', name: 'JPEG Full Progression (retired)', codec: null, lossy: true },
  { uid: '1.2.840.10008.1.2.4.92', name: 'JPEG 2000 Part 2 Multi-component Lossless', codec: null, lossy: false },
  { uid: '1.2.840.10008.1.2.4.93', name: 'JPEG 2000 Part 2 Multi-component', codec: null, lossy: true },
  { uid: '1.2.840.10008.1.2.4.94', name: 'JPIP Referenced', codec: null, lossy: false },
  { uid: '1.2.840.10008.1.2.4.95', name: 'JPIP Referenced Deflate', codec: null, lossy: false },
  { uid: '1.2.840.10008.1.2.4.100', name: 'MPEG2', codec: null, lossy: true },
  { uid: '1.2.840.10008.1.2.4.101', name: 'MPEG2 High Level', codec: null, lossy: true },
  { uid: '1.2.840.10008.1.2.4.102', name: 'MPEG-4 AVC/H.264', codec: null, lossy: true },
  { uid: '1.2.840.10008.1.2.4.103', name: 'MPEG-4 AVC/H.264 BD-compatible', codec: null, lossy: true },
  { uid: '1.2.840.10008.1.2.4.104', name: 'MPEG-4 AVC/H.264 for 2D video', codec: null, lossy: true },
  { uid: '1.2.840.10008.1.2.4.105', name: 'MPEG-4 AVC/H.264 for 3D video', codec: null, lossy: true },
  { uid: '1.2.840.10008.1.2.4.106', name: 'MPEG-4 AVC/H.264 Stereo', codec: null, lossy: true },
  { uid: '1.2.840.10008.1.2.4.107', name: 'HEVC/H.265 Main Profile', codec: null, lossy: true },
  { uid: '1.2.840.10008.1.2.4.108', name: 'HEVC/H.265 Main 10 Profile', codec: null, lossy: true },
  { uid: '1.2.840.10008.1.2.4.201', name: 'High-Throughput JPEG 2000 Lossless', codec: null, lossy: false },
  { uid: '1.2.840.10008.1.2.4.202', name: 'High-Throughput JPEG 2000 RPCL Lossless', codec: null, lossy: false },
  { uid: '1.2.840.10008.1.2.4.203', name: 'High-Throughput JPEG 2000', codec: null, lossy: true },
  { uid: '1.2.840.10008.1.2.4.110', name: 'JPEG XL Lossless', codec: null, lossy: false },
  { uid: '1.2.840.10008.1.2.4.111', name: 'JPEG XL JPEG Recompression', codec: null, lossy: true },
  { uid: '1.2.840.10008.1.2.4.112', name: 'JPEG XL', codec: null, lossy: true },
  { uid: '1.2.840.10008.1.2.6.1', name: 'RFC 2557 MIME encapsulation', codec: null, lossy: false },
  { uid: '1.2.840.10008.1.2.6.2', name: 'XML encoding', codec: null, lossy: false }
]

const byUid = new Map(table.map((t) => [t.uid, t]))

/** The transfer syntax with this UID; unknown UIDs come back unsupported, named by their UID. */
export function transferSyntax(uid: string): TransferSyntax {
  return byUid.get(uid) ?? { uid, name: 'unknown transfer syntax', codec: null, lossy: false }
}

/** Every transfer syntax Lightbox decodes. */
export const supportedTransferSyntaxes: readonly TransferSyntax[] = table.filter((t) => t.codec !== null)

export const deflatedTransferSyntax = '1.2.840.10008.1.2.1.99'
export const implicitLittleEndian = '1.2.840.10008.1.2'
export const explicitLittleEndian = '1.2.840.10008.1.2.1'
