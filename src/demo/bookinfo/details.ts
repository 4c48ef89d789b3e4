// Demo app `details`: the book's facts as JSON (GET /details/ID), plain HTTP.
import http from 'node:http';

const BOOK = { author: 'Herman Melville', year: 1851, type: 'paperback', pages: 635, publisher: 'Harper & Brothers', language: 'English', 'ISBN-13': '978-0142437247' };

export function detailsServer(): http.Server {
  return http.createServer((req, res) => {
    const m = /^\/details\/(\d+)$/.exec(req.url ?? '');
    if (req.url === '/health') return void res.end('ok\n');
    if (m === null) {
      res.statusCode = 404;
      return void res.end(JSON.stringify({ error: 'not found' }));
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ id: Number(m[1]), ...BOOK }));
  });
}
