import type { Command } from '../command'
import { evalKaryotypeCommand } from './eval-karyotype'
import { evalXrayCommand } from './eval-xray'
import { featuresCommand } from './features'
import { headsCommand } from './heads'
import { infoCommand } from './info'
import { modelsCommand } from './models'
import { trainKaryotypeCommand } from './train-karyotype'
import { trainXrayCommand } from './train-xray'
import { versionCommand } from './version'
import { xrayInfoCommand } from './xray-info'

/** Every `lightbox <command>`; later features add theirs here. */
export const commands: Command[] = [versionCommand, infoCommand, modelsCommand, featuresCommand, headsCommand, xrayInfoCommand, trainKaryotypeCommand, evalKaryotypeCommand, trainXrayCommand, evalXrayCommand] as Command[]
