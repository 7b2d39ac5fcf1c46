// The usual choice outside Rust, for comparison: Node's `ws` echo server.
// node benches/node/echo.mjs [PORT]
import { WebSocketServer } from "ws";

const port = Number(process.argv[2] ?? 0);
const server = new WebSocketServer({ host: "127.0.0.1", port, perMessageDeflate: false });
server.on("listening", () => {
  console.log(`ws://127.0.0.1:${server.address().port}`);
});
server.on("connection", (socket) => {
  socket.on("message", (data, isBinary) => socket.send(data, { binary: isBinary }));
});
