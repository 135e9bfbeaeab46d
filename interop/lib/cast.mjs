// The participants a test starts (SDK clients and browser tabs in one Chromium), each ended when
// the test is over: clients left running would load the machine, and with it every later test's
// media. `useCast()` gives a node:test file one Chromium and a fresh cast for each test.
import { after, afterEach, before } from 'node:test';

import { Browser } from './browser.mjs';
import { SdkParticipant } from './sdk.mjs';

export class Cast {
    constructor(browser) {
        this.browser = browser;
        this.endings = [];
    }

    /** An SDK client (the CLI) in `room`; options as SdkParticipant.join takes them. */
    async sdk(room, options) {
        const participant = await SdkParticipant.join(room, options);
        this.endings.push(async () => participant.kill());
        return participant;
    }

    /** A lib-jitsi-meet tab called `displayName` in `room`; options as the page's join takes them. */
    async tab(room, displayName, options = {}) {
        const participant = await this.browser.participant(displayName);
        this.endings.push(() => participant.page.close());
        await participant.join(room, { displayName, ...options });
        return participant;
    }

    /** `ending` runs at the end, for a participant started another way (a refused join). */
    add(ending) {
        this.endings.push(ending);
    }

    /** Ends every participant started so far, the last first. */
    async end() {
        while (this.endings.length) {
            await this.endings.pop()().catch(() => {});
        }
    }
}

/** For a node:test file: one Chromium for the file, and `cast()` ended after each test. */
export function useCast() {
    let browser;
    let current;
    before(async () => {
        browser = await Browser.launch();
    });
    afterEach(async () => {
        await current?.end();
        current = undefined;
    });
    after(async () => {
        await current?.end();
        await browser?.close();
    });
    return () => {
        current ??= new Cast(browser);
        return current;
    };
}
