/**
 * Class ids of data loaded for evaluation, as the trained model numbers them. A CSV source's
 * string labels get ids in sorted order of the names seen in the files at hand, which need not
 * be the training run's: they are mapped by name to the model card's names. Integer labels must
 * be below the model's class count.
 */
import { ArrayDataset, type Dataset } from '../data';
import { InputError } from './inputs';
import type { ModelCard } from './model-card';

export function remapClassIds(ds: Dataset, card: ModelCard, where: string): Dataset {
  if (ds.labelKind !== 'class') return ds;
  const cols = ds.columns();
  const labels = cols.labels as Int32Array;
  const numClasses = card.model.numClasses ?? 0;
  let ids = labels;
  if (ds.classNames !== undefined) {
    const trained = card.data.classNames;
    if (trained === undefined) throw new InputError(`${where} has string labels, but the model was trained on integer class ids`);
    const index = new Map(trained.map((n, i) => [n, i]));
    const mapping = ds.classNames.map((name) => {
      const id = index.get(name);
      if (id === undefined) throw new InputError(`${where}: label '${name}' is not a class the model was trained on (${trained.slice(0, 8).join(', ')}${trained.length > 8 ? ', ...' : ''})`);
      return id;
    });
    ids = labels.map((id) => mapping[id]);
  } else {
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] >= numClasses) throw new InputError(`${where}: sample ${i} has class ${labels[i]}, but the model has ${numClasses} classes (0..${numClasses - 1})`);
    }
    if (card.data.classNames !== undefined) throw new InputError(`${where} has integer labels, but the model was trained on named classes (${card.data.classNames.slice(0, 8).join(', ')})`);
  }
  return new ArrayDataset({
    size: ds.size,
    kind: ds.kind,
    width: ds.width,
    features: cols.features,
    tokens: cols.tokens,
    labelKind: 'class',
    labels: ids,
    numClasses,
    classNames: card.data.classNames,
    metaComponents: ds.metaComponents,
    meta: cols.meta,
  });
}
