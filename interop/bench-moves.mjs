// How often the P2P <-> bridge moves with lib-jitsi-meet fail: each scenario of lib/moves.mjs
// (the ones test/p2p-bridge.test.mjs runs once) repeated RUNS times in fresh rooms, counting the
// runs in which some directed pair did not hear or see its sender after a move.
//
//   OMNI_JITSI_TESTBED='<ready line>' OMNI_JITSI_CLI=target/release/omni-jitsi CHROMIUM=/usr/bin/chromium \
//     LIB_JITSI_MEET=... node interop/bench-moves.mjs [RUNS]
//
// Prints one JSON line per scenario: runs, failures, and the first line of each failure.
import { Browser } from './lib/browser.mjs';
import { Cast } from './lib/cast.mjs';
import { SCENARIOS } from './lib/moves.mjs';

const runs = Number(process.argv[2] || 20);
if (!Number.isInteger(runs) || runs < 1) {
    console.error('usage: node bench-moves.mjs [RUNS]');
    process.exit(2);
}

const browser = await Browser.launch();
try {
    for (const scenario of SCENARIOS) {
        const failures = [];
        for (let i = 0; i < runs; i++) {
            const cast = new Cast(browser);
            try {
                await scenario.run(cast);
            } catch (e) {
                failures.push(`run ${i + 1}: ${String(e?.message).split('\n').slice(0, 2).join(' / ')}`);
            } finally {
                await cast.end();
            }
        }
        console.log(JSON.stringify({
            bench: `ljm_p2p_move_${scenario.bench}`,
            runs,
            failures: failures.length,
            what: scenario.name,
            failed: failures
        }));
    }
} finally {
    await browser.close();
}
