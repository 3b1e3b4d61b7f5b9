/**
 * Calibration of X-ray finding scores: Platt/temperature scaling fitted on validation predictions
 * (platt.ts), expected calibration error and reliability bins (ece.ts), operating thresholds chosen on
 * validation (thresholds.ts) and the site's own overrides in the data folder (site.ts).
 */
export { applyPlatt, fitPlatt, fitTemperature, identityPlatt, logit, type Platt } from './platt'
export { expectedCalibrationError, reliability, type ReliabilityBin } from './ece'
export { chooseThreshold, operatingPoint, type OperatingPoint } from './thresholds'
export { readSiteThresholds, siteThresholdsFile, siteThresholdsPath, writeSiteThresholds } from './site'
