/** Shared checkpoint types: the monitored metric and what is known about one complete checkpoint. */

import type { MetricMode } from '../schedule/metric-mode';

export type { MetricMode };

/** The monitored metric at a checkpoint's step; `value` may be non-finite (then it is never "best"). */
export interface CheckpointMetric {
  name: string;
  value: number;
  mode: MetricMode;
}

/** One complete checkpoint (its manifest exists and parses). */
export interface CheckpointInfo {
  /** folder name, e.g. `step-00000420` */
  name: string;
  /** absolute folder path */
  dir: string;
  step: number;
  metric?: CheckpointMetric;
}
