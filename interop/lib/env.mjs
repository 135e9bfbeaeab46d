// What the harness is given by `cargo xtask test` (or by hand): it starts nothing itself.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

function required(name, hint) {
    const value = process.env[name];
    if (!value) {
        throw new Error(`${name} is not set: ${hint}`);
    }
    return value;
}

function existingFile(name, hint) {
    const file = required(name, hint);
    if (!existsSync(file)) {
        throw new Error(`${name}=${file} does not exist: ${hint}`);
    }
    return file;
}

/** The testbed's ready line (JSON: server_url, websocket_url, domain, muc, focus). */
export function testbed() {
    const ready = JSON.parse(required('OMNI_JITSI_TESTBED', 'the JSON line omni-jitsi-testbed prints'));
    for (const key of ['server_url', 'websocket_url', 'domain', 'muc', 'focus']) {
        if (typeof ready[key] !== 'string') {
            throw new Error(`OMNI_JITSI_TESTBED has no ${key}`);
        }
    }
    return ready;
}

export function cliPath() {
    return existingFile('OMNI_JITSI_CLI', 'the path of the omni-jitsi binary (target/debug/omni-jitsi)');
}

export function chromiumPath() {
    return existingFile('CHROMIUM', 'the path of the Chromium binary (/usr/bin/chromium)');
}

export function libJitsiMeet() {
    return readFileSync(existingFile('LIB_JITSI_MEET', 'the path of lib-jitsi-meet.min.js from npm @lyno/lib-jitsi-meet'));
}

/** Every wait in the tests is bounded by this unless a scenario says otherwise. */
export const WAIT_MS = Number(process.env.INTEROP_WAIT_MS || 15000);
