// One gRPC client per ingester address, shared by the distributor and the querier of a process.
// Clients of addresses that left the ring are closed when the pool is told the current members.
import { IngesterClient } from './grpc.ts';

export class IngesterClients {
  private readonly clients = new Map<string, IngesterClient>();

  get(addr: string): IngesterClient {
    let c = this.clients.get(addr);
    if (!c) this.clients.set(addr, (c = new IngesterClient(addr)));
    return c;
  }

  /** Closes the clients of addresses not in `addrs`. */
  retain(addrs: ReadonlySet<string>): void {
    for (const [addr, c] of this.clients) {
      if (addrs.has(addr)) continue;
      c.close();
      this.clients.delete(addr);
    }
  }

  close(): void {
    this.retain(new Set());
  }
}
