/**
 * The `karyotype.*` channels (preload/karyotype.ts): analysis and editing of a metaphase, ideograms,
 * ISCN prefill and validation, the printed karyogram and the PDF report. Plain data in, plain data and
 * bytes out; the renderer stores what comes back.
 */
import type { AppContext } from '../app/context'
import { loadIdeogram } from '../karyotype/ideogram/load'
import { checkIscn } from '../karyotype/iscn/check'
import { buildReport } from '../report/pdf'
import { renderKaryogram } from '../report/karyogram'
import type { ValidArgs } from '../../preload/api'
import { analyseMetaphase, editCell, reclassifyCell } from './analyse'
import { engineClassifier, type CellClassifier } from './classify'
import { metaphaseImage } from './image-cache'
import { prefillIscn } from './iscn'

export function karyotypeHandlers(ctx: AppContext, classify: CellClassifier = engineClassifier(ctx)) {
  return {
    'karyotype.analyse': async ({ image, name, stain }: ValidArgs<'karyotype.analyse'>) => analyseMetaphase(image, name, stain, classify),
    'karyotype.edit': async ({ image, name, segmentation, edit, known }: ValidArgs<'karyotype.edit'>) =>
      editCell(image, name, segmentation, edit, classify, known),
    'karyotype.reclassify': async ({ image, name, segmentation, known }: ValidArgs<'karyotype.reclassify'>) =>
      reclassifyCell(image, name, segmentation, classify, known),
    'karyotype.ideogram': async ({ resolution }: ValidArgs<'karyotype.ideogram'>) => loadIdeogram(resolution),
    'karyotype.iscn': async ({ cells }: ValidArgs<'karyotype.iscn'>) => prefillIscn(cells),
    'karyotype.validateIscn': async ({ text, resolution }: ValidArgs<'karyotype.validateIscn'>) => checkIscn(text, resolution),
    'karyotype.karyogram': async ({ image, name, ...rest }: ValidArgs<'karyotype.karyogram'>) => {
      const { read } = await metaphaseImage(image, name)
      return renderKaryogram({ image: read.image, ...rest })
    },
    'karyotype.report': async (args: ValidArgs<'karyotype.report'>) => {
      const { image, name, cellName, ...k } = args.karyogram
      const { read } = await metaphaseImage(image, name)
      const karyogram = await renderKaryogram({ image: read.image, ...k, dpi: 300 })
      return buildReport({
        siteName: args.siteName,
        appVersion: ctx.appVersion,
        case: args.case,
        result: args.result,
        counts: args.counts,
        classifier: args.classifier,
        karyogram: { png: karyogram.png, caption: `Karyogram of cell ${cellName}, ${k.resolution}-band ideograms.`, resolution: k.resolution }
      })
    }
  }
}
