/** Scenario checks shared by the unit tests. */
import { expect } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { parseScenario } from '../../src/scenarios/load.js';

/** The located problems of a scenario given as YAML text (as file t.yaml); fails the test if it has none. */
export function scenarioProblems(text: string): string[] {
  try {
    parseScenario(text, { file: 't.yaml' });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected problems');
}
