// Reference broadcast server on Node's `ws` package: the raw behaviour of the hub's /ws
// (every text or binary message goes, with its type, to every client, sender included).
'use strict';
const { WebSocketServer, WebSocket } = require('ws');

const port = Number(process.argv[2] || 8091);
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, maxPayload: 65536 });

wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    for (const client of wss.clients) {
      if (client.readyState === WebSocket.OPEN) {
        client.send(data, { binary: isBinary });
      }
    }
  });
});
wss.on('listening', () => console.error(`node ws broadcast server on ws://127.0.0.1:${port}/`));
