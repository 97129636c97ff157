/** Loads a capture directory as a traceable world (topology/capture). */
import type { EndpointScope } from '../topology/endpoints.js';
import { UsageError } from './errors.js';
import type { Out } from './output.js';

export async function loadCaptureWorld(dir: string, out: Out, seed?: number): Promise<EndpointScope> {
  const mod = await import('../topology/capture/world.js').catch(() => null);
  if (mod === null) throw new UsageError('kpath trace --capture: the capture importer is not available in this build');
  const { scope, warnings } = await mod.captureWorld(dir, { seed });
  for (const w of warnings) out.err(`warning: ${w}\n`);
  return scope;
}
