// A node:test reporter for `cargo xtask test`: one line when a test is about to run and one when
// it ends, so that a run killed at its time limit can say which test hung (the spec reporter
// prints a test only once it has finished).
import path from 'node:path';

export default async function* progress(source) {
    // Per file, the names of the suites and test enclosing the current one, by nesting level.
    const stacks = new Map();
    const pathOf = data => {
        const stack = stacks.get(data.file) ?? [];
        stacks.set(data.file, stack);
        stack.length = data.nesting;
        stack.push(data.name);
        return `${path.relative(process.cwd(), data.file ?? '')}: ${stack.join(' > ')}`;
    };
    for await (const { type, data } of source) {
        // The file itself is reported as a test named by its path.
        if (data?.name === data?.file) {
            continue;
        }
        if (type === 'test:dequeue') {
            yield `interop: started ${pathOf(data)}\n`;
        } else if (type === 'test:pass' || type === 'test:fail') {
            yield `interop: finished ${pathOf(data)}\n`;
        }
    }
}
