import type { PlanSetting } from '../config/parsers.ts';

export type Plan = PlanSetting;

export function planNamed(plans: Plan[], name: string): Plan {
  return plans.find((p) => p.name === name) ?? (plans[0] as Plan);
}

/** The next plan up, or undefined on the top plan. */
export function nextPlan(plans: Plan[], name: string): Plan | undefined {
  const index = plans.findIndex((p) => p.name === name);
  return index >= 0 ? plans[index + 1] : undefined;
}
