/**
 * DATA.RANDOM_OFFSETS in the loop: before the first step of each epoch (and the first step of a
 * resumed session) the training split is uploaded again with that epoch's blocks. The session
 * runs its work in order, so the steps already queued for the previous epoch still see its data.
 */
import type { ArrayDataset } from '../data/array-dataset';
import { tokensForEpoch } from '../data/offsets';
import { sessionDataOf, SPLIT } from './batches';
import type { LoopComponent, LoopContext } from './loop-parts';

export class EpochData implements LoopComponent {
  private epoch = -1;

  constructor(
    private readonly ctx: LoopContext,
    private readonly train: ArrayDataset,
  ) {}

  /** True when the training blocks move each epoch. */
  static wanted(train: ArrayDataset): boolean {
    return train.tokenStream?.blocking.randomOffsets === true;
  }

  async beforeStep(k: number): Promise<void> {
    const epoch = this.ctx.schedule.epochAt(k).epoch;
    if (epoch === this.epoch) return;
    this.epoch = epoch;
    const tokens = tokensForEpoch(this.train, this.ctx.config.EXPERIMENT.SEED, epoch);
    if (tokens) await this.ctx.session.setData(SPLIT.TRAIN, { ...sessionDataOf(this.train), tokens });
  }
}
