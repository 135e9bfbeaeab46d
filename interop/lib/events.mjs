// An append-only log of one participant's events that tests wait on (no polling, no sleeps).
export class EventLog {
    constructor(label) {
        this.label = label;
        this.events = [];
        this.waiters = new Set();
    }

    push(event) {
        this.events.push(event);
        for (const waiter of [...this.waiters]) {
            if (waiter.matches(event)) {
                this.waiters.delete(waiter);
                clearTimeout(waiter.timer);
                waiter.resolve(event);
            }
        }
    }

    /** Resolves with the first event (already seen or still to come) that matches. */
    waitFor(matches, what, timeoutMs) {
        const seen = this.events.find(matches);
        if (seen) {
            return Promise.resolve(seen);
        }
        return this.waitForNext(matches, what, timeoutMs);
    }

    /** Resolves with the first matching event that arrives from now on. */
    waitForNext(matches, what, timeoutMs) {
        return new Promise((resolve, reject) => {
            const waiter = { matches, resolve };
            waiter.timer = setTimeout(() => {
                this.waiters.delete(waiter);
                const tail = this.events.slice(-8).map(e => JSON.stringify(e)).join('\n  ');
                reject(new Error(`${this.label}: no ${what} within ${timeoutMs} ms; last events:\n  ${tail}`));
            }, timeoutMs);
            this.waiters.add(waiter);
        });
    }

    count(matches) {
        return this.events.filter(matches).length;
    }
}
