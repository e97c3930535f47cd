/**
 * The generated-checkpoint defaults the schedule engine and `generate-checkpoints` fall back on
 * (for configs that use another checkpoint method) are the config definition's own defaults.
 */
import { validateConfig } from '../../lib/config';
import { GENERATE_DEFAULTS } from '../../lib/schedule';

test('GENERATE_DEFAULTS equal the validator’s defaults for SCHEDULE.CHECKPOINT.GENERATE', () => {
  const config = validateConfig({ SCHEDULE: { CHECKPOINT: { GENERATE: {} } } });
  expect(config.SCHEDULE.CHECKPOINT.GENERATE).toEqual(GENERATE_DEFAULTS);
});
