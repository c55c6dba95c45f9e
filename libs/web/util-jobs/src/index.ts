export * from './lib/budgets';
export * from './lib/dates';
export * from './lib/job-outcome';
export * from './lib/links';
export * from './lib/models';
export * from './lib/money';
export * from './lib/problem-messages';
export * from './lib/progress';
