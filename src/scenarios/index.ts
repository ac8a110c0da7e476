/** The scenario engine, first stage: file -> checked, immutable plan. */
export { loadScenario, loadScenarioSync, parseScenario, resolveScenarioPath, type LoadOptions } from './load.js';
export { validateScenario, type ValidationResult, type ValidateOptions } from './validate.js';
export { listShippedScenarios, type ShippedScenario } from './list.js';
export { scenarioJsonSchema, scenarioJsonSchemaText } from './schema/jsonSchema.js';
export { stepTypes, stepDefinition, defineStep, type StepContext, type StepDefinition, type StepPlan } from './steps/index.js';
export { parseExpression, OUTCOMES, COUNTERS, LATENCY_STATS, type Expression, type Outcome, type Counter, type LatencyStat } from './expression.js';
export type * from './planTypes.js';
export type * from './steps/index.js';
