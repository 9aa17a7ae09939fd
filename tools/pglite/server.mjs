// Serves an in-memory PGlite (PostgreSQL compiled to WASM) with the pgvector extension over the PostgreSQL wire
// protocol, for the PostgreSQL RAG store tests. Usage: node server.mjs [port] (0 or none: any free port).
// Prints one line `ready <host> <port>` once it accepts connections; exits on SIGTERM/SIGINT or when stdin closes
// (so a test runner that dies does not leave it behind).
// PGlite is ONE backend session: connections are accepted up to a small limit, but their queries run one after
// another in that one session (a transaction begun by one client is seen by all). Clients must take turns; the limit
// above 1 only lets a new connection in while the server is still closing the previous one (with 1 it is reset).
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

const port = Number.parseInt(process.argv[2] ?? '0', 10)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`usage: node server.mjs [port]; '${process.argv[2]}' is not a port`)
  process.exit(2)
}

const db = await PGlite.create('memory://', { extensions: { vector } })
const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: 4 })
server.addEventListener('listening', (event) => {
  const { host, port } = event.detail
  console.log(`ready ${host} ${port}`)
})
server.addEventListener('error', (event) => console.error('pglite socket error:', event.detail))
await server.start()

let stopping = false
async function stop() {
  if (stopping) return
  stopping = true
  await server.stop()
  await db.close()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
process.stdin.on('end', stop)
process.stdin.resume()
