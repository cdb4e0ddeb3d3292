"""pyftpdlib as the bench runs it, set up as its users do.

    python3 bench/pyftpdlib-server.py --root DIR --accounts FILE [--anonymous] [--port N] [--max N]

FILE is a JSON table name -> password, kept in pyftpdlib's DummyAuthorizer as given (a plain
dict, as its users keep it), each account with every permission on DIR. Its default FTPHandler
(sendfile() for downloads), passive ports chosen by the OS, replies naming the control address
(127.0.0.1). Prints "PYFTPDLIB-PORT <port>" once listening; exits when stdin closes, so it never
outlives the bench.
"""

import argparse
import json
import logging
import os
import sys
import threading

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.log import config_logging
from pyftpdlib.servers import FTPServer

WRITE = "elradfmwMT"

parser = argparse.ArgumentParser()
parser.add_argument("--root", required=True)
parser.add_argument("--accounts", required=True)
parser.add_argument("--anonymous", action="store_true")
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--max", type=int, default=2000)
args = parser.parse_args()

# Warnings only, as the other servers run: a log line per login would be measured too.
config_logging(level=logging.WARNING)

authorizer = DummyAuthorizer()
with open(args.accounts, encoding="utf-8") as table:
    for name, password in json.load(table).items():
        authorizer.add_user(name, password, args.root, perm=WRITE)
if args.anonymous:
    authorizer.add_anonymous(args.root)


class Handler(FTPHandler):
    pass


Handler.authorizer = authorizer

server = FTPServer(("127.0.0.1", args.port), Handler)
# Limits lifted as for every server in the bench (max_cons_per_ip is unlimited by default).
server.max_cons = args.max
print("PYFTPDLIB-PORT %d" % server.socket.getsockname()[1], flush=True)


def exit_when_stdin_closes():
    while sys.stdin.buffer.read(4096):
        pass
    os._exit(0)


threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
server.serve_forever(handle_exit=False)
