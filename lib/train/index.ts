/** Training: the loop (`Trainer`, `train`), its options, events and result. */
export { Trainer, train } from './trainer';
export type {
  TrainOptions,
  TrainResult,
  RunStatus,
  TrainerEvents,
  StartEvent,
  StepEvent,
  ValidationEvent,
  CheckpointEvent,
  EarlyStopEvent,
  StageEvent,
} from './types';
