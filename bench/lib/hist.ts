/**
 * A log-bucketed latency histogram (1 % relative precision from 10 µs to many minutes) that
 * merges across processes by adding counts. Percentiles answer a bucket's upper edge, capped by
 * the exact maximum.
 */
const MIN_MS = 0.01;
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = 2600;

export interface HistJson {
  buckets: Array<[number, number]>;
  n: number;
  sum: number;
  max: number;
}

export interface Summary {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export class Hist {
  private counts = new Float64Array(BUCKETS);
  n = 0;
  sum = 0;
  max = 0;

  record(ms: number): void {
    const v = ms < 0 ? 0 : ms;
    const i = v <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(v / MIN_MS) / LOG_GROWTH));
    this.counts[i]! += 1;
    this.n++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  percentile(p: number): number {
    if (this.n === 0) return NaN;
    const rank = Math.ceil((p / 100) * this.n);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(MIN_MS * GROWTH ** i, this.max);
    }
    return this.max;
  }

  summary(): Summary {
    return {
      n: this.n,
      mean: this.n ? this.sum / this.n : NaN,
      p50: this.percentile(50),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: this.n ? this.max : NaN,
    };
  }

  merge(other: Hist | HistJson): this {
    const o = other instanceof Hist ? other.toJSON() : other;
    for (const [i, c] of o.buckets) this.counts[i]! += c;
    this.n += o.n;
    this.sum += o.sum;
    if (o.max > this.max) this.max = o.max;
    return this;
  }

  toJSON(): HistJson {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]) buckets.push([i, this.counts[i]!]);
    return { buckets, n: this.n, sum: this.sum, max: this.max };
  }

  static from(json: HistJson): Hist {
    return new Hist().merge(json);
  }
}
