// Serves the participant page, jQuery and the lib-jitsi-meet bundle on loopback.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { ROOT, libJitsiMeet } from './env.mjs';

const require = createRequire(import.meta.url);

export async function startPageServer() {
    const files = new Map([
        ['/', { type: 'text/html', body: readFileSync(path.join(ROOT, 'page/index.html')) }],
        ['/participant.js', { type: 'text/javascript', body: readFileSync(path.join(ROOT, 'page/participant.js')) }],
        ['/jquery.min.js', { type: 'text/javascript', body: readFileSync(require.resolve('jquery/dist/jquery.min.js')) }],
        ['/lib-jitsi-meet.min.js', { type: 'text/javascript', body: libJitsiMeet() }]
    ]);
    const server = http.createServer((req, res) => {
        const file = files.get(new URL(req.url, 'http://localhost').pathname);
        if (!file) {
            res.writeHead(404).end();
            return;
        }
        res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
    });
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
    });
    return {
        url: `http://127.0.0.1:${server.address().port}/`,
        close: () => new Promise(resolve => server.close(resolve))
    };
}
