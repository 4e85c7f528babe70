import { createLogger } from '../src'

/** A logger whose JSON lines land in `lines`, for asserting what was (not) logged. */
export function captureLogger(level: 'debug' | 'info' = 'info') {
  const lines: Record<string, unknown>[] = []
  const logger = createLogger({ level, service: 'test' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
  return { logger, lines }
}
