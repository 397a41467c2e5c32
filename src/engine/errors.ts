/**
 * The test split's errors at an epoch's end: the confusion matrix and a few misclassified test
 * examples. Counted during the epoch's test evaluation from the same predictions its accuracy
 * counts (Network.predictRows: argmax with ties to the lowest index; sigmoid: class 1 when the score
 * is above 0), so the matrix's diagonal over its total is the epoch's test accuracy.
 *
 *   confusion[t][p]  test examples of true class t the network predicted as class p
 *   misclassified    the first MISCLASSIFIED_SHOWN misclassified test examples in the test
 *                    split's order, as [test index, predicted class]
 *
 * Recorded for data of at most CONFUSION_MAX_CLASSES classes (an epoch line stays small). The
 * counter is sized once: counting allocates nothing; result() makes the record's plain arrays.
 */

/** misclassified test examples an epoch record lists, at most */
export const MISCLASSIFIED_SHOWN = 16;
/** classes the confusion matrix is recorded for, at most (classes² numbers per epoch record) */
export const CONFUSION_MAX_CLASSES = 32;

export interface TestErrors {
  /** [true class][predicted class] counts over the test split */
  confusion: number[][];
  /** [test index, predicted class], the first MISCLASSIFIED_SHOWN in test order */
  misclassified: [number, number][];
}

export class ErrorCounter {
  private readonly counts: Int32Array;
  private readonly picked = new Int32Array(2 * MISCLASSIFIED_SHOWN);
  private picks = 0;

  constructor(readonly classes: number) {
    if (!Number.isInteger(classes) || classes < 2 || classes > CONFUSION_MAX_CLASSES) throw new Error(`a confusion matrix has 2 to ${CONFUSION_MAX_CLASSES} classes, not ${classes}`);
    this.counts = new Int32Array(classes * classes);
  }

  /** Whether data of this many classes gets a confusion matrix. */
  static recorded(classes: number): boolean {
    return classes >= 2 && classes <= CONFUSION_MAX_CLASSES;
  }

  reset(): void {
    this.counts.fill(0);
    this.picks = 0;
  }

  /** Count M examples: true labels truth[0..M), predictions pred[0..M), the first being test example `start`. */
  add(truth: Int32Array, pred: Int32Array, M: number, start: number): void {
    const n = this.classes, counts = this.counts;
    for (let m = 0; m < M; m++) {
      const t = truth[m]!, p = pred[m]!;
      counts[t * n + p]!++;
      if (t !== p && this.picks < MISCLASSIFIED_SHOWN) {
        this.picked[2 * this.picks] = start + m;
        this.picked[2 * this.picks + 1] = p;
        this.picks++;
      }
    }
  }

  /** The counts so far as a record's field. */
  result(): TestErrors {
    const n = this.classes;
    const confusion: number[][] = [];
    for (let t = 0; t < n; t++) confusion.push(Array.from(this.counts.subarray(t * n, (t + 1) * n)));
    const misclassified: [number, number][] = [];
    for (let i = 0; i < this.picks; i++) misclassified.push([this.picked[2 * i]!, this.picked[2 * i + 1]!]);
    return { confusion, misclassified };
  }
}

/** Per true class: the share of its test examples predicted right (null for a class with none). */
export function perClassAccuracy(confusion: readonly (readonly number[])[]): (number | null)[] {
  return confusion.map((row, t) => {
    let sum = 0;
    for (const c of row) sum += c;
    return sum > 0 ? (row[t] ?? 0) / sum : null;
  });
}
