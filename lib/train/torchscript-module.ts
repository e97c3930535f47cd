/**
 * MODEL.TYPE torchscript around a run: before the first step, one forward of two training samples
 * shows whether the module takes the data (input rank and width, output shape for the task), so a
 * mismatch is bad input (exit 2, with the shapes) rather than a failure mid-run; and the module
 * file is copied into the run directory (assets/model.pt), so the run stays loadable when the
 * original file changes or goes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../checkpoint';
import { DataError } from '../data';
import type { Dataset } from '../data';
import type { NativeModelOptions, NativeSession } from '../native/types';

/** Where a run directory keeps its module, relative to the run directory (the model card says so too). */
export const RUN_MODULE_FILE = path.join('assets', 'model.pt');

export async function checkModuleForward(session: NativeSession, split: string, data: Dataset, model: NativeModelOptions): Promise<void> {
  const n = Math.min(2, data.size);
  const indices = Int32Array.from({ length: n }, (_, i) => i);
  try {
    await session.evaluate({ split, indices, objective: 'supervised' });
  } catch (e) {
    const shape = data.kind === 'tokens' ? [n, data.width] : [n, ...(model.inputShape ?? [data.width])];
    const first = (e as Error).message.split('\n')[0].replace(/^LibTorch error: /, '');
    throw new DataError('MODEL.PATH', `${model.scriptPath}: forward on a batch of shape [${shape.join(', ')}] failed: ${first}`);
  }
}

export async function copyModuleIntoRun(runDir: string, scriptPath: string): Promise<void> {
  await writeFileAtomic(path.join(runDir, RUN_MODULE_FILE), await fs.promises.readFile(scriptPath));
}
