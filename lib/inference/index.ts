/** Using a trained model (SPEC §12): loadModel → Model with predict, evaluate, generate. */
export { loadModel, Model } from './model';
export type { LoadModelOptions, PredictOptions, Prediction, ClassPrediction, RegressionPrediction, EvaluateOptions, Evaluation, ModelInfo } from './model';
export type { GenerateOptions, GeneratedToken } from './generation';
export { InputError } from './inputs';
export type { ArrayInput } from './inputs';
export { readModelCard, ModelCardError } from './model-card';
export type { ModelCard } from './model-card';
