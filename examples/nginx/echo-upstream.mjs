// The example's application: answers every request with what it received, as JSON
// ({ method, url, headers }), so the headers nginx passed on can be seen. Port: argv[2] (default 8089).
import http from 'node:http';

const port = Number(process.argv[2] ?? 8089);
const server = http.createServer((req, res) => {
  const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers });
  res
    .writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    })
    .end(body);
});
server.listen(port, '127.0.0.1', () =>
  console.log(`echo upstream: listening on http://127.0.0.1:${server.address().port}`),
);
const stop = () => server.close(() => process.exit(0)) && server.closeAllConnections();
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
