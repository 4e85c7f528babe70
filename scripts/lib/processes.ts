/**
 * Asks processes to stop (SIGTERM) and kills those still running after `graceMs`, so a server that
 * hangs on shutdown (an open client connection, say) can never hang the command that started it.
 */
export async function terminate(processes: Bun.Subprocess[], graceMs = 10_000): Promise<void> {
  for (const process of processes) process.kill("SIGTERM");
  const allExited = Promise.all(processes.map((process) => process.exited));
  if ((await Promise.race([allExited, Bun.sleep(graceMs)])) === undefined) {
    for (const process of processes) process.kill("SIGKILL");
    await allExited;
  }
}
