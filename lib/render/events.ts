/**
 * The event kinds of the §7 JSON in the order every renderer shows them, with the character the
 * text timeline draws and the label a person reads.
 */
import type { ScheduleJson } from '../schedule/json-types';

export type EventKey = keyof ScheduleJson['events'];

export const EVENT_KINDS: ReadonlyArray<{ key: EventKey; label: string; mark: string }> = [
  { key: 'validation', label: 'validation', mark: 'V' },
  { key: 'mask_meta_validation', label: 'mask-meta', mark: 'M' },
  { key: 'partial_mask_meta_validation', label: 'partial mask-meta', mark: 'P' },
  { key: 'checkpoint', label: 'checkpoint', mark: 'C' },
];
