// The words of docs/benchmarks.md around the generated tables: no figures here, they all come from bench/results.json.

import type { ReportProse } from './report.js';

export const PROSE: ReportProse = {
  intro: 'TODO',
  whatDominates: 'TODO',
  sections: {},
};
