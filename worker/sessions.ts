/**
 * How many recordings this worker takes on at once. A recording holds its
 * place from `workerSession` until `cleanup`, so the worker's own task queue
 * never holds more stages than it runs side by side: a stage that waits there
 * means the worker is gone, never that it is busy. Like the Go SDK's
 * `MaxConcurrentSessionExecutionSize`, a full worker declines and the session
 * is asked for again, by whichever worker has room.
 */
export class Sessions {
  private readonly held = new Map<string, NodeJS.Timeout>();

  /**
   * @param size recordings at once; the file worker runs as many activities at once
   * @param leaseMs a place whose `cleanup` never comes (the workflow gave this
   *   worker up and went on elsewhere) is freed after this long
   */
  constructor(
    readonly size: number,
    private readonly leaseMs: number,
  ) {}

  /** Takes a place for `workflowId` (again, if it has one: a retried request takes no second place). */
  admit(workflowId: string): boolean {
    const lease = this.held.get(workflowId);
    if (!lease && this.held.size >= this.size) return false;
    clearTimeout(lease);
    this.held.set(workflowId, setTimeout(() => this.held.delete(workflowId), this.leaseMs).unref());
    return true;
  }

  release(workflowId: string): void {
    clearTimeout(this.held.get(workflowId));
    this.held.delete(workflowId);
  }

  get inUse(): number {
    return this.held.size;
  }
}
