/**
 * IPC handlers of the X-ray findings (`xray.findings`, `xray.heatmap`, `xray.thresholds.get|set` in
 * preload/api.ts). One pipeline per app context, opened on first use and opened again when the active
 * heads change (promote, roll back) or the site's thresholds are edited.
 */
import type { AppContext } from '../app/context'
import { LabError } from '../errors'
import type { Handlers } from '../ipc/handlers'
import { registryFor } from '../ml/registry'
import { runtimeFor } from '../ml/runtime'
import { writeSiteThresholds } from './calibration/site'
import { XrayPipeline } from './findings/pipeline'

type XrayHandlers = Pick<Handlers, 'xray.findings' | 'xray.heatmap' | 'xray.thresholds.get' | 'xray.thresholds.set'>

export function xrayFindingsHandlers(ctx: AppContext): XrayHandlers {
  let cached: { key: string; pipeline: Promise<XrayPipeline> } | null = null
  const pipeline = async (): Promise<XrayPipeline> => {
    const registry = registryFor(ctx)
    const active = await registry.activeIds()
    const key = `${active['xray-findings'] ?? ''}|${active['xray-covid'] ?? ''}`
    if (!cached || cached.key !== key) {
      const opening = XrayPipeline.open({ registry, runtime: runtimeFor(ctx), dataDir: ctx.dataDir })
      cached = { key, pipeline: opening }
      opening.catch(() => {
        if (cached?.pipeline === opening) cached = null
      })
    }
    return cached.pipeline
  }
  return {
    'xray.findings': async ({ bytes, name }) => {
      const [result] = await (await pipeline()).findings([{ bytes, name }])
      return result
    },
    'xray.heatmap': async ({ bytes, name, labels, maxSide }) => (await pipeline()).heatmaps({ bytes, name }, { labels, maxSide }),
    'xray.thresholds.get': async () => (await pipeline()).thresholds(),
    'xray.thresholds.set': async ({ site }) => {
      const known = (await pipeline()).thresholds().model
      const unknown = Object.keys(site).filter((label) => !(label in known))
      if (unknown.length > 0) {
        throw new LabError('invalid_argument', `No trained finding is called ${unknown.join(', ')} (known: ${Object.keys(known).join(', ')}).`)
      }
      await writeSiteThresholds(ctx.dataDir, site)
      cached = null
      return (await pipeline()).thresholds()
    }
  }
}
