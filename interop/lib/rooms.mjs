import { randomBytes } from 'node:crypto';

/** A room of its own for each scenario, so scenarios share one testbed without meeting. */
export function uniqueRoom(scenario) {
    return `interop-${scenario}-${randomBytes(4).toString('hex')}`;
}
