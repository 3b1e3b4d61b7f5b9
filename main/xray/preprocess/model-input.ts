/**
 * The tensor a model's manifest asks for (`InputSpec`: size, channels, layout, dtype, normalisation
 * value = (pixel / scale − mean[c]) / std[c]) from a presented 8-bit grey image. Grey is repeated into
 * every channel. With 'stretch' (the default) the values are exactly those of the backbone's own
 * preprocessing (main/ml/backbone/preprocess.ts `imagesToTensor`, used by feature extraction), so features
 * computed either way agree; this path is several times faster and fills batch tensors in place.
 */
import { LabError } from '../../errors'
import type { InputSpec } from '../../ml/registry/manifest'
import { createGrey, type GreyRaster } from '../../imaging/raster'
import type { Fit } from './resize'
import { resizeTriangle } from './resize-triangle'

export interface InputGeometry {
  width: number
  height: number
  channels: number
  layout: 'NCHW' | 'NHWC'
  dtype: 'float32' | 'uint8'
}

/** Where the input's pixels come from, to map heatmaps back onto the image. */
export interface InputRegion {
  fit: Fit
  /** The part of the source image the input shows, in source pixels. */
  source: { x: number; y: number; width: number; height: number }
  /** Where that part lies in the input (letterbox leaves black bars around it), in input pixels. */
  target: { x: number; y: number; width: number; height: number }
}

export interface ModelInput {
  /** The graph input's name (from the spec). */
  name: string
  data: Float32Array | Uint8Array
  /** [1, C, H, W] or [1, H, W, C]. */
  dims: number[]
  region: InputRegion
}

export interface ModelInputOptions {
  /** How a non-matching aspect ratio is handled; default 'stretch'. */
  fit?: Fit
  /**
   * Write into this array at `offset` instead of a new one (to fill a batch tensor without copies). It
   * must have room for C×H×W values and match the dtype.
   */
  into?: Float32Array | Uint8Array
  offset?: number
}

/** Reads size, channels and layout from the spec, checking that its parts agree. */
export function inputGeometry(spec: InputSpec): InputGeometry {
  const bad = (why: string) => new LabError('bad_input', `The model input "${spec.name}" cannot take an image: ${why}.`, { input: spec.name })
  if (spec.layout === 'NC' || spec.features) throw bad('it takes a feature vector, not an image')
  if (spec.dtype !== 'float32' && spec.dtype !== 'uint8') {
    throw new LabError('unsupported', `The model input "${spec.name}" is ${spec.dtype}; image inputs must be float32 or uint8.`, { input: spec.name })
  }
  if (spec.shape.length !== 4) throw bad(`its shape has ${spec.shape.length} dimensions, not 4`)
  const [, d1, d2, d3] = spec.shape
  const [c, h, w] = spec.layout === 'NCHW' ? [d1, d2, d3] : [d3, d1, d2]
  const num = (v: number | string | undefined) => (typeof v === 'number' ? v : undefined)
  const width = spec.size?.width ?? num(w)
  const height = spec.size?.height ?? num(h)
  const channels = spec.channels ?? num(c)
  if (!width || !height) throw bad('neither its size nor its shape gives the image size')
  if (!channels) throw bad('neither its channels nor its shape gives the channel count')
  if ((num(w) && num(w) !== width) || (num(h) && num(h) !== height) || (num(c) && num(c) !== channels)) {
    throw bad(`its shape [${spec.shape.join(', ')}] disagrees with size ${width}×${height} and ${channels} channels`)
  }
  if (spec.normalisation) {
    const { mean, std } = spec.normalisation
    if (spec.dtype === 'uint8') throw bad('a uint8 input cannot be normalised')
    if (![1, channels].includes(mean.length) || ![1, channels].includes(std.length)) {
      throw bad(`normalisation needs 1 or ${channels} means and standard deviations`)
    }
  }
  return { width, height, channels, layout: spec.layout, dtype: spec.dtype }
}

export async function modelInput(image: GreyRaster<Uint8Array>, spec: InputSpec, options: ModelInputOptions = {}): Promise<ModelInput> {
  const g = inputGeometry(spec)
  const fit = options.fit ?? 'stretch'
  const region = inputRegion(image, g, fit)
  const framed = frame(image, g, fit, region)
  const resized = resizeTriangle(framed, g.width, g.height)
  const count = g.width * g.height * g.channels
  const offset = options.offset ?? 0
  const out = options.into ?? (g.dtype === 'uint8' ? new Uint8Array(count) : new Float32Array(count))
  if ((g.dtype === 'uint8') !== out instanceof Uint8Array || out.length < offset + count) {
    throw new LabError('invalid_argument', `The array given for "${spec.name}" must be ${g.dtype} with room for ${count} values at offset ${offset}.`)
  }
  const plane = g.width * g.height
  if (out instanceof Uint8Array) {
    for (let c = 0; c < g.channels; c++) {
      const base = g.layout === 'NCHW' ? offset + c * plane : offset + c
      const step = g.layout === 'NCHW' ? 1 : g.channels
      for (let i = 0, o = base; i < plane; i++, o += step) out[o] = Math.min(255, Math.max(0, Math.round(resized[i])))
    }
  } else {
    // As main/ml/backbone/preprocess.ts imagesToTensor: (pixel · 255/255 / scale − mean) / std, default 0…1.
    const norm = spec.normalisation ?? { scale: 255, mean: [0], std: [1] }
    const factor = 255 / 255 / norm.scale
    for (let c = 0; c < g.channels; c++) {
      const mean = norm.mean[c] ?? norm.mean[0] ?? 0
      const std = norm.std[c] ?? norm.std[0] ?? 1
      if (g.layout === 'NCHW') {
        const base = offset + c * plane
        for (let i = 0; i < plane; i++) out[base + i] = (resized[i] * factor - mean) / std
      } else {
        for (let i = 0, o = offset + c; i < plane; i++, o += g.channels) out[o] = (resized[i] * factor - mean) / std
      }
    }
  }
  const dims = g.layout === 'NCHW' ? [1, g.channels, g.height, g.width] : [1, g.height, g.width, g.channels]
  return { name: spec.name, data: options.into ? out.subarray(offset, offset + count) : out, dims, region }
}

/**
 * The image as the input frames it: as it is (stretch), cropped to the input's aspect (center-crop), or
 * centred on a black canvas of the input's aspect (letterbox).
 */
function frame(image: GreyRaster<Uint8Array>, g: InputGeometry, fit: Fit, region: InputRegion): GreyRaster<Uint8Array> {
  if (fit === 'stretch') return image
  if (fit === 'center-crop') {
    const { x, y, width, height } = region.source
    if (width === image.width && height === image.height) return image
    const out = new Uint8Array(width * height)
    for (let r = 0; r < height; r++) out.set(image.data.subarray((y + r) * image.width + x, (y + r) * image.width + x + width), r * width)
    return createGrey(width, height, out)
  }
  // Letterbox: a canvas in source pixels whose aspect is the input's.
  const scale = Math.min(g.width / image.width, g.height / image.height)
  const canvasW = Math.max(image.width, Math.round(g.width / scale))
  const canvasH = Math.max(image.height, Math.round(g.height / scale))
  if (canvasW === image.width && canvasH === image.height) return image
  const left = Math.floor((canvasW - image.width) / 2)
  const top = Math.floor((canvasH - image.height) / 2)
  const out = new Uint8Array(canvasW * canvasH)
  for (let r = 0; r < image.height; r++) out.set(image.data.subarray(r * image.width, (r + 1) * image.width), (top + r) * canvasW + left)
  return createGrey(canvasW, canvasH, out)
}

function inputRegion(image: GreyRaster<Uint8Array>, g: InputGeometry, fit: Fit): InputRegion {
  const full = { x: 0, y: 0, width: image.width, height: image.height }
  const whole = { x: 0, y: 0, width: g.width, height: g.height }
  if (fit === 'stretch') return { fit, source: full, target: whole }
  const scaleContain = Math.min(g.width / image.width, g.height / image.height)
  if (fit === 'letterbox') {
    // Where frame() puts the image on its canvas, in input pixels.
    const canvasW = Math.max(image.width, Math.round(g.width / scaleContain))
    const canvasH = Math.max(image.height, Math.round(g.height / scaleContain))
    const sx = g.width / canvasW
    const sy = g.height / canvasH
    const left = Math.floor((canvasW - image.width) / 2)
    const top = Math.floor((canvasH - image.height) / 2)
    const x = Math.round(left * sx)
    const y = Math.round(top * sy)
    return { fit, source: full, target: { x, y, width: Math.round((left + image.width) * sx) - x, height: Math.round((top + image.height) * sy) - y } }
  }
  const scaleCover = Math.max(g.width / image.width, g.height / image.height)
  const width = Math.round(g.width / scaleCover)
  const height = Math.round(g.height / scaleCover)
  return { fit, source: { x: Math.floor((image.width - width) / 2), y: Math.floor((image.height - height) / 2), width, height }, target: whole }
}
