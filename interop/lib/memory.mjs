// Memory of a process and its descendants, read from /proc (Linux only).
import { readdirSync, readFileSync } from 'node:fs';

function parentOf(pid) {
    try {
        // The command name in field 2 may hold spaces and parentheses: fields resume after the last ')'.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
        return null;
    }
}

/** `pid` and every process below it. */
export function processTree(pid) {
    const children = new Map();
    for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) {
            continue;
        }
        const parent = parentOf(name);
        if (parent !== null) {
            children.set(parent, [...(children.get(parent) || []), Number(name)]);
        }
    }
    const tree = [];
    const pending = [pid];
    while (pending.length) {
        const next = pending.pop();
        tree.push(next);
        pending.push(...(children.get(next) || []));
    }
    return tree;
}

function kib(text, key) {
    const line = text.split('\n').find(l => l.startsWith(`${key}:`));
    return line ? Number(line.split(/\s+/)[1]) : 0;
}

/**
 * RSS (VmRSS), peak RSS (VmHWM) and PSS (shared pages divided among the processes sharing them)
 * in MiB, summed over `pids`. Summed RSS counts pages shared between Chromium's processes once
 * per process; PSS does not.
 */
export function memoryOf(pids) {
    const total = { rssMib: 0, peakMib: 0, pssMib: 0, processes: 0 };
    for (const pid of pids) {
        try {
            const status = readFileSync(`/proc/${pid}/status`, 'utf8');
            const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
            total.rssMib += kib(status, 'VmRSS') / 1024;
            total.peakMib += kib(status, 'VmHWM') / 1024;
            total.pssMib += kib(rollup, 'Pss') / 1024;
            total.processes += 1;
        } catch {
            // The process ended between listing and reading: it holds no memory any more.
        }
    }
    return total;
}
