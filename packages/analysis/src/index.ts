export { placeholders, resolveArgs, substitute } from './args.ts';
export { CONDITION_FUNCTIONS, conditionProblem, evaluateCondition } from './conditions.ts';
export { parseDuration } from './duration.ts';
export { evaluateJsonPath } from './jsonpath.ts';
export { parseAnalysisTemplate } from './manifest.ts';
export type { Fetch, Provider, Providers } from './providers.ts';
export { measureWith, prometheusProvider, webProvider } from './providers.ts';
export type { MeasureFn } from './run.ts';
export {
  abortAnalysis,
  advanceAnalysis,
  assessMeasurement,
  ERROR_RETRY_MS,
  isFinished,
  startAnalysis,
  startVerification,
} from './run.ts';
export type {
  AnalysisRun,
  AnalysisTemplate,
  AnalysisTemplateReference,
  ArgValueFrom,
  Header,
  Measurement,
  MeasurementResult,
  Metric,
  MetricRun,
  PrometheusProviderSpec,
  ProviderSpec,
  StageArg,
  TemplateArg,
  VerificationSpec,
  WebProviderSpec,
} from './types.ts';
export { AnalysisPhase, AnalysisTemplateKind } from './types.ts';
