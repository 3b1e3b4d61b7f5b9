/**
 * Which onnxruntime execution providers to try, in which order, on this platform. Pure: the runtime
 * tries the candidates; this module only decides the order and why some are not tried at all.
 */
import type { InferenceDevice } from '../../../preload/api'

export type Provider = Exclude<InferenceDevice, 'auto'>

/** Preference order: the fastest device that works wins; CPU always works. */
export const providerOrder: readonly Provider[] = ['cuda', 'dml', 'coreml', 'webgpu', 'cpu']

export const providerNames: Record<Provider, string> = {
  cuda: 'CUDA',
  dml: 'DirectML',
  coreml: 'CoreML',
  webgpu: 'WebGPU',
  cpu: 'CPU'
}

/** Why a provider cannot exist on this platform, or null when it may. */
export function platformRestriction(provider: Provider, platform: NodeJS.Platform, arch: string): string | null {
  switch (provider) {
    case 'cuda':
      return platform === 'linux' || platform === 'win32'
        ? arch === 'x64' || arch === 'arm64'
          ? null
          : `CUDA builds of onnxruntime exist for x64 and arm64 only, not ${arch}`
        : 'CUDA runs on Linux and Windows only'
    case 'dml':
      return platform === 'win32' ? null : 'DirectML runs on Windows only'
    case 'coreml':
      return platform === 'darwin' ? null : 'CoreML runs on macOS only'
    case 'webgpu':
    case 'cpu':
      return null
  }
}

export interface Candidate {
  provider: Provider
  /** Set when the provider is not tried; the reason is shown to the user. */
  skip?: string
}

/**
 * The providers to try for `preferred`: 'auto' tries every one the platform may have, in order; a named
 * device is tried first and CPU stays as the fallback. Every provider appears once, so the status can
 * say why each was or was not used.
 */
export function providerCandidates(
  preferred: InferenceDevice,
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch
): Candidate[] {
  const wanted = (p: Provider): boolean => preferred === 'auto' || p === preferred || p === 'cpu'
  const ordered = preferred === 'auto' || preferred === 'cpu' ? [...providerOrder] : [preferred, ...providerOrder.filter((p) => p !== preferred)]
  return ordered.map((provider) => {
    const restriction = platformRestriction(provider, platform, arch)
    if (restriction) return { provider, skip: restriction }
    if (!wanted(provider)) return { provider, skip: `the settings prefer ${providerNames[preferred as Provider]}` }
    return { provider }
  })
}

/** One line from an onnxruntime error: no source paths, no ANSI colours, not too long. */
export function plainReason(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err)
  const cleaned = raw
    // eslint-disable-next-line no-control-regex
    .replace(/\u001b\[[0-9;]*m/g, '')
    .replace(/\/onnxruntime_src\/\S+:\d+\s+\S*\s*/g, '')
    .replace(/\s+/g, ' ')
    .trim()
  return cleaned.length > 300 ? cleaned.slice(0, 297) + '…' : cleaned
}
