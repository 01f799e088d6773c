export type { Advance } from './execute.ts';
export { advancePromotion } from './execute.ts';
export type { ExpressionScope } from './expressions.ts';
export { evaluate } from './expressions.ts';
export { promotionNameFor, stageOfPromotion } from './names.ts';
export type { PromoterOptions } from './service.ts';
export { startPromoter } from './service.ts';
export { BUILTIN_STEPS, stepRegistry } from './steps/registry.ts';
export type { ResultPort, StepCommand, StepContext, StepResult, StepRunner } from './steps/types.ts';
