/**
 * The error for a checkpoint that cannot be used (missing, incomplete, corrupt, wrong format) or a
 * resume path that names none. The CLI prints `message` alone, so it names the folder and the fault.
 */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}
