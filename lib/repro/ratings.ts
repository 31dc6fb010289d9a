/**
 * A synthetic ratings file with the shape of public rating data (user, item, genres, year,
 * timestamp, rating 1..5), for the worked example of `smelu repro --data` and its end-to-end test:
 * users and items with latent tastes, genre affinities (a user x genre cross), a popularity skew
 * (Zipf-like item and user activity), and drift over time (tastes move with the timestamp). Rows
 * are written in a shuffled order, not in time order, so `--order-by timestamp` matters.
 */
import * as fs from 'node:fs';
import { gzipSync } from 'node:zlib';
import { Rng } from '../nn';

export interface RatingsOptions {
  rows: number;
  users?: number;
  items?: number;
  seed?: number;
}

export const GENRES = ['Action', 'Adventure', 'Animation', 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy', 'Horror', 'Romance', 'SciFi', 'Thriller'];
const DIM = 4;
const T0 = 1_000_000_000; // seconds: the first timestamp
const SPAN = 3 * 365 * 86400; // three years of ratings

interface World {
  taste: Float64Array[];
  drift: Float64Array[];
  genreLike: Float64Array[];
  userBias: Float64Array;
  quality: Float64Array[];
  itemBias: Float64Array;
  genres: number[][];
  year: Int32Array;
  /** Cumulative Zipf weights of items and users (popularity / activity skew). */
  itemCdf: Float64Array;
  userCdf: Float64Array;
}

const vec = (rng: Rng, n: number, sd: number): Float64Array => Float64Array.from({ length: n }, () => sd * rng.normal());

function zipfCdf(n: number, s: number): Float64Array {
  const c = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) c[i] = acc += 1 / (i + 1) ** s;
  for (let i = 0; i < n; i++) c[i] /= acc;
  return c;
}

function pick(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function world(users: number, items: number, rng: Rng): World {
  return {
    taste: Array.from({ length: users }, () => vec(rng, DIM, 1)),
    drift: Array.from({ length: users }, () => vec(rng, DIM, 0.8)),
    genreLike: Array.from({ length: users }, () => vec(rng, GENRES.length, 0.6)),
    userBias: vec(rng, users, 0.4),
    quality: Array.from({ length: items }, () => vec(rng, DIM, 0.5)),
    itemBias: vec(rng, items, 0.5),
    genres: Array.from({ length: items }, () => {
      const k = 1 + rng.int(3);
      return [...new Set(Array.from({ length: k }, () => rng.int(GENRES.length)))].sort((a, b) => a - b);
    }),
    year: Int32Array.from({ length: items }, () => 1950 + rng.int(71)),
    itemCdf: zipfCdf(items, 1.0),
    userCdf: zipfCdf(users, 0.7),
  };
}

/** The rating of user u for item i at time tau in [0, 1]: latent match, genre cross, biases, noise. */
function rating(w: World, u: number, i: number, tau: number, rng: Rng): number {
  let z = 3.4 + w.userBias[u] + w.itemBias[i] + 0.03 * (w.year[i] - 1985) / 10;
  for (let k = 0; k < DIM; k++) z += (w.taste[u][k] + tau * w.drift[u][k]) * w.quality[i][k];
  for (const g of w.genres[i]) z += w.genreLike[u][g] / w.genres[i].length;
  z += 0.5 * rng.normal();
  return Math.min(5, Math.max(1, Math.round(z)));
}

/** The CSV text (header user,item,genres,year,timestamp,rating), deterministic in the options. */
export function ratingsCsv(o: RatingsOptions): string {
  const users = o.users ?? Math.max(20, Math.round(Math.sqrt(o.rows) * 3));
  const items = o.items ?? Math.max(20, Math.round(Math.sqrt(o.rows) * 2));
  const rng = Rng.fromSeed(o.seed ?? 1);
  const w = world(users, items, rng);
  const lines: string[] = [];
  for (let r = 0; r < o.rows; r++) {
    const tau = r / Math.max(1, o.rows - 1);
    const u = pick(w.userCdf, rng.next());
    const i = pick(w.itemCdf, rng.next());
    const ts = T0 + Math.round(tau * SPAN);
    lines.push(`u${u},m${i},${w.genres[i].map((g) => GENRES[g]).join('|')},${w.year[i]},${ts},${rating(w, u, i, tau, rng)}`);
  }
  // Written out of time order (as files often are): the reader restores it with --order-by.
  for (let k = lines.length - 1; k > 0; k--) {
    const j = rng.int(k + 1);
    [lines[k], lines[j]] = [lines[j], lines[k]];
  }
  return `user,item,genres,year,timestamp,rating\n${lines.join('\n')}\n`;
}

/** Writes the ratings file (gzipped when the name ends in .gz). */
export function writeRatings(file: string, o: RatingsOptions): void {
  const text = ratingsCsv(o);
  fs.writeFileSync(file, file.endsWith('.gz') ? gzipSync(text) : text);
}
