import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A tiny FTP server that lies: its listings name whatever the test wants ("../evil", "a/b", "/x"),
 * which no honest server (ftpkitd included) can produce, and RETR serves bytes for any path at all.
 * It speaks just enough for FtpClient: USER, PASS, FEAT, OPTS, TYPE, PWD, CWD, EPSV, MLSD, LIST,
 * RETR, MDTM, SIZE, NOOP, QUIT. Passive (EPSV) only.
 */
export interface HostileServerSpec {
  /** The listing text sent for MLSD or LIST of each path, as the client names it. */
  listings: Readonly<Record<string, string>>;
  /** Offer MLST in FEAT, so that the client lists with MLSD; LIST otherwise. */
  mlsd: boolean;
  /** The bytes RETR sends for a path. */
  content(path: string): Buffer;
}

export interface HostileServer {
  readonly host: string;
  readonly port: number;
  /** Every command line received, on any connection, in order. */
  readonly commands: string[];
  close(): Promise<void>;
}

export async function startHostileServer(spec: HostileServerSpec): Promise<HostileServer> {
  const host = '127.0.0.1';
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  const listeners = new Set<Server>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  };

  const session = (control: Socket): void => {
    track(control);
    let buffered = '';
    let data: Promise<Socket> | undefined;
    let chain = Promise.resolve();
    const reply = (text: string): void => {
      if (!control.destroyed) control.write(`${text}\r\n`);
    };

    const openPassive = async (): Promise<number> => {
      const listener = createServer();
      listeners.add(listener);
      listener.listen(0, host);
      await once(listener, 'listening');
      data = new Promise<Socket>((resolve) => {
        listener.once('connection', (socket) => {
          track(socket);
          listener.close();
          listeners.delete(listener);
          resolve(socket);
        });
      });
      return (listener.address() as AddressInfo).port;
    };

    const send = async (payload: Buffer | string): Promise<void> => {
      const pending = data;
      data = undefined;
      if (pending === undefined) {
        reply('425 Use EPSV first.');
        return;
      }
      const socket = await pending;
      reply('150 Here it comes.');
      socket.end(payload);
      await once(socket, 'close');
      reply('226 Done.');
    };

    const handle = async (line: string): Promise<void> => {
      commands.push(line);
      const space = line.indexOf(' ');
      const verb = (space === -1 ? line : line.slice(0, space)).toUpperCase();
      const arg = space === -1 ? '' : line.slice(space + 1);
      switch (verb) {
        case 'USER':
          reply('331 Any password will do.');
          return;
        case 'PASS':
          reply('230 Logged in.');
          return;
        case 'FEAT':
          reply(
            spec.mlsd
              ? '211-Features:\r\n MLST type*;size*;modify*;\r\n EPSV\r\n211 End'
              : '211-Features:\r\n EPSV\r\n211 End',
          );
          return;
        case 'OPTS':
        case 'TYPE':
        case 'NOOP':
        case 'CWD':
          reply('200 OK.');
          return;
        case 'PWD':
          reply('257 "/" is the current directory.');
          return;
        case 'EPSV':
          reply(`229 Entering Extended Passive Mode (|||${await openPassive()}|)`);
          return;
        case 'MLSD':
        case 'LIST': {
          const listing = spec.listings[arg];
          if (listing === undefined) reply('550 No such directory.');
          else await send(listing);
          return;
        }
        case 'RETR':
          await send(spec.content(arg));
          return;
        case 'MDTM':
        case 'SIZE':
          reply('550 Not telling.');
          return;
        case 'QUIT':
          reply('221 Bye.');
          control.end();
          return;
        default:
          reply('502 Not implemented.');
      }
    };

    control.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (let end = buffered.indexOf('\r\n'); end !== -1; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        chain = chain
          .then(() => handle(line))
          .catch(() => {
            control.destroy();
          });
      }
    });
    reply('220 Hostile fake ready.');
  };

  const server = createServer(session);
  server.listen(0, host);
  await once(server, 'listening');
  return {
    host,
    port: (server.address() as AddressInfo).port,
    commands,
    async close(): Promise<void> {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const listener of listeners) listener.close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
