/**
 * Training logs (SPEC §10): TensorBoard event files, metrics.jsonl, and console progress.
 */
export { crc32c, maskedCrc32c, maskCrc } from './crc32c';
export { TensorBoardWriter, readEventFile } from './tensorboard';
export type { TensorBoardWriterOptions, ParsedEvent, ParsedHistogram, ParsedScalar } from './tensorboard';
export { SessionStatus, FILE_VERSION } from './event-proto';
export { RecordCrcError } from './tfrecord';
export { computeHistogram, DEFAULT_BUCKET_LIMITS } from './histogram';
export type { HistogramData } from './histogram';
export { MetricsLog, MetricsLogError, readMetricsLog } from './metrics-log';
export type { MetricsRecord, MetricsLogOptions } from './metrics-log';
export { createConsoleReporter, formatEpochLine, formatLr } from './console';
export type { ConsoleReporter, ConsoleStream, ProgressMode, ProgressUpdate } from './console';
