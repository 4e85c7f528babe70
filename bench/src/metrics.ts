// Reading the services' /metrics (Prometheus text exposition format), for what only a service itself can count.

/** A service's /metrics, or "" when it does not answer. */
export const scrape = (baseUrl: string) =>
  fetch(`${baseUrl}/metrics`).then(
    (response) => response.text(),
    () => "",
  );

/** The series of `name` in `metrics` whose labels include every one of `labels`, summed; 0 when there is none. */
export function sumOf(metrics: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([label, value]) => `${label}=${JSON.stringify(value)}`);
  let sum = 0;
  for (const match of metrics.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, "gm"))) {
    const present = (match[1] ?? "").split(",");
    if (wanted.every((pair) => present.includes(pair))) sum += Number(match[2]);
  }
  return sum;
}
