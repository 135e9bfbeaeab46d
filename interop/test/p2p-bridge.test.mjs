// Three-party rooms with P2P on, as jitsi-meet runs by default: the first two talk peer to peer
// and move to the testbed bridge when a third joins (scenarios in lib/moves.mjs; each waits on
// every directed pair after every move and reports each one that failed).
import { after, afterEach, before, describe, test } from 'node:test';

import { Browser } from './lib/browser.mjs';
import { SCENARIOS } from './lib/moves.mjs';

let browser;
const cleanup = [];

before(async () => {
    browser = await Browser.launch();
});

// Each scenario ends its participants: clients left running would load the machine, and with
// it every later scenario's media.
afterEach(async () => {
    while (cleanup.length) {
        await cleanup.pop()().catch(() => {});
    }
});

after(async () => {
    await browser?.close();
});

describe('P2P on: moving between P2P and the bridge with lib-jitsi-meet', () => {
    for (const scenario of SCENARIOS) {
        test(scenario.name, () => scenario.run({ browser, cleanup }));
    }
});
