// Three-party rooms with P2P on, as jitsi-meet runs by default: the first two talk peer to peer
// and move to the testbed bridge when a third joins (scenarios in ../lib/moves.mjs; each waits on
// every directed pair after every move and reports each one that failed).
import { describe, test } from 'node:test';

import { useCast } from '../lib/cast.mjs';
import { SCENARIOS } from '../lib/moves.mjs';

const cast = useCast();

describe('P2P on: moving between P2P and the bridge with lib-jitsi-meet', () => {
    for (const scenario of SCENARIOS) {
        test(scenario.name, () => scenario.run(cast()));
    }
});
