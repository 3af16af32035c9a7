// What the training demo records for its chart: the training loss of each step and, every few steps, the
// accuracy on the evaluation sequences.
export interface ChartPoint {
  step: number;
  /** Cross-entropy on the copied half of the step's batch, nats. */
  loss?: number;
  /** Token accuracy on the copied half of the evaluation sequences, percent. */
  accuracy?: number;
}
