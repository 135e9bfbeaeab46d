// The SDK side: the omni-jitsi CLI as a child process, JSON lines out, commands in.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

import { cliPath, testbed, WAIT_MS } from './env.mjs';
import { EventLog } from './events.mjs';

export class SdkParticipant {
    /** Starts the CLI; its events tell whether the join worked. */
    static spawn(room, { displayName, email, endpointId, password, set = [], sendTone, sendPattern, patternSize, server = testbed().server_url, label = displayName } = {}) {
        const args = ['join', '--server', server, '--room', room];
        if (displayName) {
            args.push('--name', displayName);
        }
        if (email) {
            args.push('--email', email);
        }
        if (password) {
            args.push('--password', password);
        }
        if (endpointId) {
            args.push('--endpoint-id', endpointId);
        }
        if (sendTone) {
            args.push('--send-tone', String(sendTone));
        }
        if (sendPattern) {
            args.push('--send-pattern');
        }
        if (patternSize) {
            args.push('--pattern-size', patternSize);
        }
        for (const setting of set) {
            args.push('--set', setting);
        }
        return new SdkParticipant(label, spawn(cliPath(), args, { stdio: ['pipe', 'pipe', 'pipe'] }));
    }

    /** Starts the CLI and resolves once it reports conference_joined. */
    static async join(room, options = {}) {
        const sdk = SdkParticipant.spawn(room, options);
        const joined = await sdk.waitFor(e => e.event === 'conference_joined' || e.event === 'conference_terminated',
            'conference_joined');
        if (joined.event !== 'conference_joined') {
            sdk.kill();
            throw new Error(`${sdk.label} could not join: ${JSON.stringify(joined)}\n${sdk.stderr.slice(-2000)}`);
        }
        sdk.endpointId = joined.endpoint_id;
        return sdk;
    }

    constructor(label, child) {
        this.label = label;
        this.child = child;
        this.events = new EventLog(`sdk ${label}`);
        this.stderr = '';
        this.exited = new Promise(resolve => child.once('exit', (code, signal) => resolve({ code, signal })));
        // INTEROP_LOG_DIR keeps each client's whole log (RUST_LOG decides how much there is).
        const logDir = process.env.INTEROP_LOG_DIR;
        const logFile = logDir && createWriteStream(path.join(logDir, `${label.replace(/\W+/g, '-')}-${child.pid}.log`));
        child.stderr.on('data', chunk => {
            this.stderr = (this.stderr + chunk).slice(-20000);
            logFile?.write(chunk);
        });
        readline.createInterface({ input: child.stdout }).on('line', line => {
            logFile?.write(`${new Date().toISOString()} stdout ${line}\n`);
            try {
                this.events.push(JSON.parse(line));
            } catch (e) {
                this.events.push({ event: 'unparsable_line', line });
            }
        });
    }

    command(line) {
        this.child.stdin.write(`${line}\n`);
    }

    waitFor(matches, what, timeoutMs = WAIT_MS) {
        return this.events.waitFor(matches, what, timeoutMs);
    }

    waitForNext(matches, what, timeoutMs = WAIT_MS) {
        return this.events.waitForNext(matches, what, timeoutMs);
    }

    /** Leaves with the `leave` command and resolves with the exit status. */
    async leave() {
        this.command('leave');
        this.child.stdin.end();
        return this.exited;
    }

    /** For cleanup after a failed test: ends the process if it is still running. */
    kill() {
        if (this.child.exitCode === null && this.child.signalCode === null) {
            this.child.kill('SIGKILL');
        }
    }
}
