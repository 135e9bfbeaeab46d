// Headless Chromium with lib-jitsi-meet, one tab per participant, driven over CDP.
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import puppeteer from 'puppeteer-core';

import { chromiumPath, testbed, WAIT_MS } from './env.mjs';
import { EventLog } from './events.mjs';
import { startPageServer } from './server.mjs';

const CHROMIUM_FLAGS = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    // The page's AudioContext analyses remote audio without a user gesture.
    '--autoplay-policy=no-user-gesture-required'
];

export class Browser {
    static async launch() {
        const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'omni-jitsi-chromium-'));
        const pages = await startPageServer();
        try {
            const browser = await puppeteer.launch({
                executablePath: chromiumPath(),
                headless: true,
                args: [...CHROMIUM_FLAGS, `--user-data-dir=${userDataDir}`],
                protocolTimeout: WAIT_MS * 2
            });
            return new Browser(browser, pages, userDataDir);
        } catch (e) {
            await pages.close();
            rmSync(userDataDir, { recursive: true, force: true });
            throw e;
        }
    }

    constructor(browser, pages, userDataDir) {
        this.browser = browser;
        this.pages = pages;
        this.userDataDir = userDataDir;
    }

    /** A new tab with lib-jitsi-meet loaded, not yet in any room. */
    async participant(label) {
        const page = await this.browser.newPage();
        const events = new EventLog(`browser ${label}`);
        // INTEROP_LOG_DIR keeps each tab's console and errors (lib-jitsi-meet logs at logLevel).
        const logDir = process.env.INTEROP_LOG_DIR;
        const logFile = logDir && createWriteStream(path.join(logDir, `${label.replace(/\W+/g, '-')}-${Date.now()}.log`));
        await page.exposeFunction('omniEvent', event => events.push(event));
        page.on('pageerror', error => {
            events.push({ type: 'page_error', message: error.message });
            logFile?.write(`page error: ${error.message}\n`);
        });
        page.on('console', message => {
            events.push({ type: 'console', level: message.type(), text: message.text() });
            logFile?.write(`${new Date().toISOString()} ${message.type()} ${message.text()}\n`);
        });
        await page.goto(this.pages.url, { waitUntil: 'load', timeout: WAIT_MS });
        return new BrowserParticipant(label, page, events);
    }

    /** The PID of the Chromium browser process puppeteer launched (the root of its tree). */
    pid() {
        return this.browser.process().pid;
    }

    async close() {
        await this.browser.close();
        await this.pages.close();
        rmSync(this.userDataDir, { recursive: true, force: true });
    }
}

export class BrowserParticipant {
    constructor(label, page, events) {
        this.label = label;
        this.page = page;
        this.events = events;
        this.endpointId = undefined;
    }

    /** Resolves after CONFERENCE_JOINED with { endpointId, connectMs, joinMs }. */
    /** `serviceUrl`: another WebSocket URL to the same Prosody (the fault proxy's). */
    async join(room, { displayName, email, sourceNameSignaling = false, logLevel, password, withTracks = false, resolution, p2p = true, backToP2PDelay, serviceUrl } = {}) {
        const bed = testbed();
        const joined = await this.page.evaluate(options => window.omni.join(options), {
            serviceUrl: serviceUrl ?? bed.websocket_url,
            hosts: { domain: bed.domain, muc: bed.muc, focus: bed.focus },
            room,
            displayName,
            email,
            sourceNameSignaling,
            logLevel,
            password,
            withTracks,
            resolution,
            p2p,
            backToP2PDelay
        });
        this.endpointId = joined.endpointId;
        return joined;
    }

    p2pStats() {
        return this.page.evaluate(() => window.omni.p2pStats());
    }

    jvbStats() {
        return this.page.evaluate(() => window.omni.jvbStats());
    }

    timeToMedia(options) {
        return this.page.evaluate(o => window.omni.timeToMedia(o), options);
    }

    remoteTone(id) {
        return this.page.evaluate(i => window.omni.remoteTone(i), id);
    }

    addLocalTracks() {
        return this.page.evaluate(() => window.omni.addLocalTracks());
    }

    shareScreen() {
        return this.page.evaluate(() => window.omni.shareScreen());
    }

    setMuted(kind, muted) {
        return this.page.evaluate((k, m) => window.omni.setMuted(k, m), kind, muted);
    }

    setHandRaised(raised) {
        return this.page.evaluate(r => window.omni.setHandRaised(r), raised);
    }

    sendText(text) {
        return this.page.evaluate(t => window.omni.sendText(t), text);
    }

    sendPrivateText(to, text) {
        return this.page.evaluate((id, t) => window.omni.sendPrivateText(id, t), to, text);
    }

    leave() {
        return this.page.evaluate(() => window.omni.leave());
    }

    /** Closes the tab the way a user does: beforeunload and unload handlers run. */
    closeTab() {
        return this.page.close({ runBeforeUnload: true });
    }

    waitFor(matches, what, timeoutMs = WAIT_MS) {
        return this.events.waitFor(matches, what, timeoutMs);
    }

    waitForNext(matches, what, timeoutMs = WAIT_MS) {
        return this.events.waitForNext(matches, what, timeoutMs);
    }
}
