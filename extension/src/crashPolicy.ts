/**
 * When the server process dies on its own: restart it, but not forever. After `maxCrashes`
 * crashes within `windowMs` it stays stopped and the user is told (with "Show logs").
 * Does not import `vscode`.
 */
export class CrashPolicy {
  private crashes: number[] = [];

  constructor(
    readonly maxCrashes = 3,
    readonly windowMs = 3 * 60 * 1000,
  ) {}

  /** Record a crash at `now` (ms); true when the server should be restarted. */
  shouldRestart(now: number): boolean {
    this.crashes = [...this.crashes.filter((t) => now - t < this.windowMs), now];
    return this.crashes.length < this.maxCrashes;
  }

  /** Crashes counted in the current window. */
  get recent(): number {
    return this.crashes.length;
  }

  /** Forget past crashes (the user restarted the server). */
  reset(): void {
    this.crashes = [];
  }
}
