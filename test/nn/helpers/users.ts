/** A small users CSV with every kind of column (numeric, categorical, bag, ignored text), and its feature options. */
import { writeFileSync } from 'fs';
import { join } from 'path';
import { ctrModel, features, fit, type BaseModel, type FeatureOptions, type RawRow } from '../../../lib/nn';

const PLANS = ['free', 'pro', 'team'];
const COUNTRIES = ['DE', 'US', 'FR', ''];
const GENRES = ['Action', 'Comedy', 'Drama', 'Horror'];

/** `rows` data lines after the header, from row `from` on; the label depends on every column. */
export function usersCsv(rows: number, from = 0): string {
  const lines = ['age,plan,country,income,genres,note,clicked'];
  for (let i = from; i < from + rows; i++) {
    const age = 18 + ((i * 7) % 50);
    const plan = PLANS[i % 3];
    const income = i % 9 === 4 ? '' : String(20000 + ((i * 3331) % 60000));
    const genres = [GENRES[i % 4], GENRES[(i >> 2) % 4]].join('|');
    const yes = (age > 40 ? 1 : 0) + (plan === 'pro' ? 1 : 0) + (genres.includes('Drama') ? 1 : 0) >= 2;
    lines.push(`${age},${plan},${COUNTRIES[i % 4]},${income},${genres},"free text, ""quoted""",${yes ? 'yes' : 'no'}`);
  }
  return lines.join('\n') + '\n';
}

/** The users file's columns by name. */
export const USERS_OPTS: FeatureOptions = {
  label: 'clicked', positive: 'yes', numeric: ['age', 'income'], categorical: ['plan', 'country'],
  bags: { genres: '|' }, ignore: ['note'], missing: { income: 'mean' }, buckets: 64,
};

/** Raw rows as serving code passes them: objects with missing values, an unseen category, an empty bag. */
export const USERS_RAW = [
  { age: 52, plan: 'pro', country: 'DE', income: 41000, genres: ['Drama', 'Action'] },
  { age: '23', plan: 'free', income: null, genres: 'Comedy|Horror' }, // country and income missing
  { age: 35, plan: 'newplan', country: 'XX', income: '', genres: [] },
];

/** Raw test rows: held-out CSV lines (label cell included) and objects with missing values. */
export function usersTestRows(): RawRow[] {
  return [...usersCsv(60, 200).trim().split('\n').slice(1), ...USERS_RAW];
}

/**
 * A CTR model (layer norm, SmeLU) trained in `dir` on 200 users rows through its feature spec,
 * checkpointed to ctr.ckpt and saved to the model file ctr.smelu.
 */
export async function savedUsersCtr(dir: string): Promise<{ model: BaseModel; modelFile: string; checkpoint: string }> {
  const f = features(USERS_OPTS);
  const csv = join(dir, 'train.csv');
  writeFileSync(csv, usersCsv(200));
  const { dataset } = await f.load(csv);
  const model = ctrModel({ features: f, embeddingDim: 4, hidden: [8], activation: { kind: 'smelu', beta: 0.5 }, layerNorm: true, seed: 4 });
  const checkpoint = join(dir, 'ctr.ckpt');
  fit(model, dataset, { epochs: 3, batchSize: 32, loss: 'bce', seed: 4, optimizer: { kind: 'adam', lr: 0.01 }, checkpoint: { path: checkpoint, everySteps: 1000 } });
  const modelFile = join(dir, 'ctr.smelu');
  model.save(modelFile);
  return { model, modelFile, checkpoint };
}
