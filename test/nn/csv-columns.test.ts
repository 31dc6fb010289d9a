import { gzipSync } from 'zlib';
import { describe, expect, it } from 'vitest';
import { bucketOf, hashString, loadCsv, loadCsvChunks, MalformedLineError, MAX_RECORD_CHARS, parseCsv } from '../../lib/nn';
import { tempFiles } from './helpers/files';

const { file } = tempFiles('smelu-nn-csvcols-');

const USERS = [
  'age,plan,country,income,genres,note,clicked',
  '31,pro,DE,52000,Action|Comedy,"says ""hi""",yes',
  '45,free,,,Drama,"two',
  'lines, one field",no',
  '22,pro,US,18000,,plain,yes',
].join('\n');

describe('CSV columns by name', () => {
  const opts = {
    label: 'clicked', positive: 'yes', negative: 'no', numeric: ['age', 'income'], categorical: ['plan', 'country'],
    bags: { genres: '|' }, ignore: ['note'], missing: { income: 'mean' as const }, buckets: 1000,
  };

  it('reads named roles, text labels, bags, quoted multi-line fields and the mean of a missing numeric cell', async () => {
    const { dataset, report } = await loadCsv(file('users.csv.gz', gzipSync(USERS)), opts);
    expect(report).toMatchObject({ header: true, rows: 3, lines: 5, skipped: 0 });
    expect(dataset.columns).toEqual({ dense: ['age', 'income'], cat: ['plan', 'country'], bags: ['genres'] });
    expect(Array.from(dataset.labels)).toEqual([1, 0, 1]);
    expect(Array.from(dataset.dense)).toEqual([31, 52000, 45, 35000, 22, 18000]); // (52000 + 18000) / 2
    expect(dataset.cat[3]).toBe(0); // an empty categorical cell is its own bucket
    expect(dataset.cat[0]).toBe(bucketOf(hashString('pro', 0), 1000));
    expect(dataset.cat[1]).toBe(bucketOf(hashString('DE', 1), 1000));
    const bag = dataset.bags[0];
    expect(Array.from(bag.offsets)).toEqual([0, 2, 3, 3]); // the third row's bag is empty
    expect(bag.ids[0]).toBe(bucketOf(hashString('Action', 2), 1000));
  });

  it('names the column and its 0-based index in messages, as options count', () => {
    const bad = USERS.replace('31,pro', 'x1,pro');
    expect(() => parseCsv(bad, opts)).toThrow("<text>:2: column 'age' (index 0): 'x1' is not a finite number");
    const noIncome = USERS.replace('45,free,,,', '45,free,,,').replace(/income: 'mean'/, '');
    expect(() => parseCsv(noIncome, { ...opts, missing: {} })).toThrow(/<text>:3: column 'income' \(index 3\): empty cell/);
    expect(() => parseCsv(USERS.replace('",no', '",maybe'), opts)).toThrow(/<text>:3: column 'clicked' \(index 6\): label 'maybe' is neither 'yes' nor 'no'/);
    expect(() => parseCsv('a,b\n1,x\n', { label: 1 })).toThrow(/column 'b' \(index 1\): label 'x' is not a finite number \(text labels need the 'positive' option\)/);
  });

  it('refuses unknown names, two roles, unlisted columns and misplaced missing policies', () => {
    expect(() => parseCsv(USERS, { ...opts, categorical: ['plan', 'contry'] })).toThrow(
      "categorical: no column named 'contry'; the columns are 'age', 'plan', 'country', 'income', 'genres', 'note', 'clicked'",
    );
    expect(() => parseCsv(USERS, { ...opts, ignore: ['note', 'plan'] })).toThrow("column 'plan' (index 1) is given two roles: ignore and categorical");
    expect(() => parseCsv(USERS, { ...opts, ignore: [] })).toThrow("column(s) 'note' (index 5) have no role: list them in numeric, categorical, bags or ignore");
    expect(() => parseCsv(USERS, { ...opts, missing: { plan: 0 } })).toThrow(/missing: column 'plan' \(index 1\) is not numeric/);
    expect(() => parseCsv(USERS, { ...opts, missing: { income: 'median' as never } })).toThrow(TypeError);
    expect(() => parseCsv('1,2\n', { label: 'y', header: false })).toThrow(/header is false/);
    expect(() => parseCsv('1,2\n', { label: 5 })).toThrow('label: column index 5 is outside the 2 columns (0-based; negative counts from the end)');
  });

  it('maps thresholded and predicate labels, and accepts indices counted from 0 or from the end', () => {
    const ratings = 'user,movie,rating\n1,10,4.5\n2,10,3\n3,11,4\n';
    expect(Array.from(parseCsv(ratings, { label: 'rating', positive: '>=4', categorical: ['user', 'movie'] }).dataset.labels)).toEqual([1, 0, 1]);
    expect(Array.from(parseCsv(ratings, { label: -1, positive: (c) => c.startsWith('4'), categorical: [0, 1], header: true }).dataset.labels)).toEqual([1, 0, 1]);
    expect(() => parseCsv(ratings, { label: 'rating', positive: '>=four' })).toThrow(/not a number/);
  });

  it('fills a constant, keeps blank lines inside quotes, and reports a multi-line record where it starts', () => {
    const text = 'a,b,y\n1,,"x\n\ny"\n2,3,"q\n';
    const r = parseCsv(text, { label: 'y', positive: 'x\n\ny', missing: 7, onMalformed: 'skip' });
    expect(Array.from(r.dataset.dense)).toEqual([1, 7]);
    expect(Array.from(r.dataset.labels)).toEqual([1]);
    expect(r.report.issues).toEqual([{ line: 5, reason: 'unclosed quote at the end of the file', text: '2,3,"q' }]);
    const e = (() => {
      try {
        parseCsv('a,y\n"1\n2",0\n', { label: 'y' });
      } catch (x) {
        return x as MalformedLineError;
      }
    })();
    expect(e?.line).toBe(2);
    expect(e?.reason).toBe("column 'a' (index 0): '1\n2' is not a finite number");
  });

  it('reads unlabeled files, numeric positive classes, and stops a runaway quote', () => {
    const r = parseCsv('a,b\n1,2\n3,4\n', { label: null });
    expect(r.dataset.numDense).toBe(2);
    expect(Array.from(r.dataset.labels)).toEqual([0, 0]);
    expect(Array.from(parseCsv('x,y\n1,3\n2,5\n', { label: 'y', positive: 5 }).dataset.labels)).toEqual([0, 1]);
    const runaway = 'a,y\n"' + 'x\n'.repeat(MAX_RECORD_CHARS / 2 + 1) + '1,0\n2,1\n';
    const skipped = parseCsv(runaway, { label: 'y', onMalformed: 'skip' });
    expect(skipped.report.issues[0]).toMatchObject({ line: 2, reason: expect.stringMatching(/runs over 1048576 characters \(unclosed quote\?\)/) });
    expect(Array.from(skipped.dataset.labels)).toEqual([0, 1]); // reading resumes after the refused record
  });

  it('reads TSV by extension and streams chunks with named columns', async () => {
    const tsv = file('r.tsv', 'u\tg\ty\n' + Array.from({ length: 25 }, (_, i) => `u${i % 3}\ta|b\t${i % 2}`).join('\n'));
    const sizes: number[] = [];
    for await (const { dataset } of loadCsvChunks(tsv, { label: 'y', categorical: ['u'], bags: { g: '|' }, chunkRows: 10 })) {
      expect(dataset.columns?.bags).toEqual(['g']);
      sizes.push(dataset.n);
    }
    expect(sizes).toEqual([10, 10, 5]);
    expect(() => loadCsvChunks(tsv, { missing: 'mean' })).toThrow(/needs the whole column/);
  });
});
