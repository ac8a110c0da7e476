/**
 * qplug as a library: the same powers as the CLI, for your own test suites.
 *
 *   import { PlugQdisc } from 'qplug';
 *   const plug = await PlugQdisc.attach({ dev: 'v0', netns: 'lab' });
 *   await plug.buffer();            // freeze
 *   await plug.releaseIndefinite(); // deliver everything held, in order
 *   await plug.detach();            // put back what was there
 */
export { PlugQdisc } from './plug/PlugQdisc.js';
export type { AttachOptions, BufferOptions, DeviceOptions, PlugStatus } from './plug/PlugQdisc.js';
export type { PlugState } from './plug/state.js';
export { parseHandle, formatHandle, TC_H_ROOT } from './plug/handles.js';
export { parseSize, parseDuration } from './plug/units.js';
export {
  QplugError,
  UsageError,
  RefusedError,
  EnvironmentError,
  NotFoundError,
  PermissionError,
  StateError,
  KernelError,
  ExitCode,
  isQplugError,
} from './errors.js';
export type { ErrorCode } from './errors.js';
export { runDoctor } from './doctor.js';
export type { DoctorReport, DoctorCheck } from './doctor.js';
export { ConfigError, ProxyError } from './errors.js';
export { Proxy, loadProxyConfig, parseProxyConfig, proxyConfigFromOptions, runProxy } from './proxy/index.js';
export { ApiServer, ApiClient, apiRequest, proxyTarget } from './proxy/index.js';
export type { ApiTarget, ApiReply, ApiServerOptions, ProxyInfo, ReloadResult, ServerStateRecord, ServerStateImport, AdminState, InjectedHealth } from './proxy/index.js';
export type {
  ProxyConfig,
  ProxyFrontendConfig,
  ProxyBackendConfig,
  ProxyServerConfig,
  ProxyGlobalConfig,
  HealthCheckConfig,
  ProxyOptions,
  ProxyStartOptions,
  ProxyAddress,
  ProxyStats,
  ProxyEvents,
  HealthTransition,
  ServerHealth,
  CheckState,
  RunProxyOptions,
} from './proxy/index.js';
export { loadScenario, parseScenario, validateScenario, listShippedScenarios, scenarioJsonSchema, stepTypes, parseExpression } from './scenarios/index.js';
export type {
  ScenarioPlan,
  RunPlan,
  VariantPlan,
  Role,
  StepPlan,
  ServicePlan,
  LoadPlan,
  TopologyPlan,
  Condition,
  Trigger,
  Expectation,
  Expression,
  LoadOptions,
  ValidationResult,
} from './scenarios/index.js';
export { runScenario, ScenarioEvents } from './scenarios/run/runner.js';
export type { RunScenarioOptions } from './scenarios/run/runner.js';
export type { ScenarioEvent, ScenarioSummary, VariantSummary, RunResult, ExpectationResult, Attempt, Outcomes } from './scenarios/run/events.js';
export { ScenarioCollector, representativeRun } from './scenarios/report/collect.js';
export type { CollectedScenario, CollectorOptions, RunTimeline, PlugWindow, VariantRecord } from './scenarios/report/collect.js';
export { renderReport, renderTimeline } from './scenarios/report/html.js';
export type { ReportOptions, TimelineOptions } from './scenarios/report/html.js';
