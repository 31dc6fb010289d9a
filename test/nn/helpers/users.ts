/** A small users CSV with every kind of column (numeric, categorical, bag, ignored text), and its feature options. */
import type { FeatureOptions } from '../../../lib/nn';

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
