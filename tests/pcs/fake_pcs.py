#!/usr/bin/env python3
"""A fake Intel PCS / PCCS (API v4) for tests, on 127.0.0.1 only.

It serves real collateral pieces split out of bundle files in the shape of
../shared/testdata/dcap (keys tcb_info, tcb_info_signature, ...), the way the
PCS/PCCS serves them:

  GET /{sgx,tdx}/certification/v4/tcb?fmspc=HEX   {"tcbInfo":<exact bytes>,"signature":HEX}
                                                   + TCB-Info-Issuer-Chain (URL-encoded PEM)
  GET /{sgx,tdx}/certification/v4/qe/identity      {"enclaveIdentity":...,"signature":...}
                                                   + SGX-Enclave-Identity-Issuer-Chain
  GET /sgx/certification/v4/pckcrl?ca=platform|processor&encoding=der
                                                   DER, application/pkix-crl
                                                   + SGX-PCK-CRL-Issuer-Chain
  GET /sgx/certification/v4/rootcacrl              hex of DER as text (as PCCS does),
                                                   or DER with --rootcrl-format der

Control (not counted as requests):
  GET /control/stats            {"requests": N, "paths": [...]}
  GET /control/mode?m=MODE      switch misbehaviour (see MODES)
  GET /control/reset            zero the counters, back to the --mode mode
  GET /control/shutdown         stop the server

It prints "PORT <n>" on stdout once listening on an ephemeral port, and stops
by itself: on EOF of stdin (with --exit-on-stdin-eof, so it dies with the test
that started it), after --max-seconds, or on /control/shutdown or SIGTERM.
"""

import argparse
import binascii
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = {
    "normal": "serve the pieces faithfully",
    "corrupt-tcb": "TCB info body truncated (invalid JSON)",
    "wrong-fmspc": "TCB info of another FMSPC",
    "wrong-tee": "TCB info of the other TEE type, relabelled with the requested FMSPC",
    "wrong-qe-tee": "QE identity of the other TEE type",
    "wrong-ca": "PCK CRL of the other PCK CA",
    "html": "TCB info with Content-Type text/html",
    "no-chain": "TCB info without its issuer-chain header",
    "bad-signature": "TCB info with a signature that is not 64 bytes of hex",
    "garbage-crl": "PCK CRL body that is not a CRL",
    "error500": "every collateral request fails with HTTP 500",
    "slow": "sleep --slow-seconds before answering",
    "huge": "TCB info body padded beyond 1 MiB",
    "rootcrl-der": "normal, but the root CA CRL as DER (application/pkix-crl)",
}


def load_pieces(paths):
    pieces = {"tcb": {}, "qe": {}, "pckcrl": {}, "rootcrl": None}
    for path in paths:
        with open(path, "rb") as f:
            bundle = json.loads(f.read())
        tcb_raw = bundle["tcb_info"]
        tcb = json.loads(tcb_raw)
        tcb = tcb.get("tcbInfo", tcb)
        tee = "tdx" if tcb.get("id") == "TDX" else "sgx"
        pieces["tcb"][(tee, tcb["fmspc"].upper())] = {
            "raw": tcb_raw,
            "fmspc": tcb["fmspc"],
            "signature": bundle["tcb_info_signature"],
            "chain": bundle["tcb_info_issuer_chain"],
        }
        qe = json.loads(bundle["qe_identity"])
        qe = qe.get("enclaveIdentity", qe)
        pieces["qe"]["tdx" if qe["id"] == "TD_QE" else "sgx"] = {
            "raw": bundle["qe_identity"],
            "signature": bundle["qe_identity_signature"],
            "chain": bundle["qe_identity_issuer_chain"],
        }
        pck_der = binascii.unhexlify(bundle["pck_crl"].strip())
        ca = "platform" if b"PCK Platform CA" in pck_der else "processor"
        pieces["pckcrl"][ca] = {"der": pck_der, "chain": bundle["pck_crl_issuer_chain"]}
        pieces["rootcrl"] = binascii.unhexlify(bundle["root_ca_crl"].strip())
    return pieces


class State:
    def __init__(self, pieces, args):
        self.pieces = pieces
        self.args = args
        self.mode = args.mode
        self.requests = 0
        self.paths = []
        self.lock = threading.Lock()


def url_encode(pem):
    return urllib.parse.quote(pem, safe="")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-pcs/1"

    def log_message(self, fmt, *args):  # Quiet: stdout carries the port line.
        pass

    def send(self, status, body, content_type=None, headers=()):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        state = self.server.state
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path.startswith("/control/"):
            return self.control(state, url.path, query)
        with state.lock:
            state.requests += 1
            state.paths.append(self.path)
            mode = state.mode
        if mode == "slow":
            time.sleep(state.args.slow_seconds)
        if mode == "error500":
            return self.send(500, b"", headers=[("Error-Code", "InternalError")])
        parts = url.path.strip("/").split("/")
        # [tee, "certification", "v4", ...]
        if len(parts) < 4 or parts[1] != "certification" or parts[2] != "v4" or parts[0] not in ("sgx", "tdx"):
            return self.send(404, b"")
        tee, rest = parts[0], "/".join(parts[3:])
        if rest == "tcb":
            return self.tcb(state, mode, tee, query.get("fmspc", [""])[0].upper())
        if rest == "qe/identity":
            return self.qe(state, mode, tee)
        if rest == "pckcrl" and tee == "sgx":
            return self.pckcrl(state, mode, query.get("ca", [""])[0].lower())
        if rest == "rootcacrl" and tee == "sgx":
            der = state.pieces["rootcrl"]
            if state.args.rootcrl_format == "der" or mode == "rootcrl-der":
                return self.send(200, der, "application/pkix-crl")
            return self.send(200, binascii.hexlify(der), "text/html; charset=utf-8")
        return self.send(404, b"")

    def tcb(self, state, mode, tee, fmspc):
        entry = state.pieces["tcb"].get((tee, fmspc))
        if entry is None:
            return self.send(404, b"", headers=[("Error-Code", "NotFound")])
        raw, chain, sig = entry["raw"], entry["chain"], entry["signature"]
        if mode == "wrong-fmspc":
            others = [v for (t, f), v in state.pieces["tcb"].items() if f != fmspc]
            if others:
                raw = others[0]["raw"]
            else:
                raw = raw.replace(entry["fmspc"], "FFFFFFFFFFFF")
        if mode == "wrong-tee":
            others = [v for (t, f), v in state.pieces["tcb"].items() if t != tee]
            if others:
                raw = others[0]["raw"].replace(others[0]["fmspc"], fmspc)
        body = ('{"tcbInfo":' + raw + ',"signature":"' + sig + '"}').encode()
        content_type = "application/json"
        headers = [("TCB-Info-Issuer-Chain", url_encode(chain))]
        if mode == "corrupt-tcb":
            body = body[: len(body) // 2]
        if mode == "html":
            content_type = "text/html"
        if mode == "no-chain":
            headers = []
        if mode == "bad-signature":
            body = ('{"tcbInfo":' + raw + ',"signature":"zz"}').encode()
        if mode == "huge":
            body = ('{"tcbInfo":' + raw + ',"signature":"' + sig + '"}' + " " * (2 << 20)).encode()
        return self.send(200, body, content_type, headers)

    def qe(self, state, mode, tee):
        if mode == "wrong-qe-tee":
            tee = "sgx" if tee == "tdx" else "tdx"
        entry = state.pieces["qe"].get(tee)
        if entry is None:
            return self.send(404, b"")
        body = ('{"enclaveIdentity":' + entry["raw"] + ',"signature":"' + entry["signature"] + '"}').encode()
        return self.send(200, body, "application/json",
                         [("SGX-Enclave-Identity-Issuer-Chain", url_encode(entry["chain"]))])

    def pckcrl(self, state, mode, ca):
        if mode == "wrong-ca":
            ca = "platform" if ca == "processor" else "processor"
        entry = state.pieces["pckcrl"].get(ca)
        if entry is None:
            return self.send(404, b"")
        der = entry["der"]
        if mode == "garbage-crl":
            der = b"\x30\x82\xff\xff not a crl"
        return self.send(200, der, "application/pkix-crl",
                         [("SGX-PCK-CRL-Issuer-Chain", url_encode(entry["chain"]))])

    def control(self, state, path, query):
        if path == "/control/stats":
            with state.lock:
                body = json.dumps({"requests": state.requests, "paths": state.paths, "mode": state.mode})
            return self.send(200, body.encode(), "application/json")
        if path == "/control/reset":
            with state.lock:
                state.requests, state.paths, state.mode = 0, [], state.args.mode
            return self.send(200, b"ok", "text/plain")
        if path == "/control/mode":
            mode = query.get("m", [""])[0]
            if mode not in MODES:
                return self.send(400, ("unknown mode " + mode).encode(), "text/plain")
            with state.lock:
                state.mode = mode
            return self.send(200, b"ok", "text/plain")
        if path == "/control/shutdown":
            self.send(200, b"bye", "text/plain")
            threading.Thread(target=self.server.shutdown, daemon=True).start()
            return None
        return self.send(404, b"")


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Clients that hang up early (size limits, timeouts) are expected.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle", action="append", required=True, help="collateral bundle JSON (repeatable)")
    parser.add_argument("--mode", default="normal", choices=sorted(MODES))
    parser.add_argument("--rootcrl-format", default="hex", choices=["hex", "der"])
    parser.add_argument("--slow-seconds", type=float, default=5.0)
    parser.add_argument("--max-seconds", type=float, default=300.0, help="stop after this long regardless")
    parser.add_argument("--exit-on-stdin-eof", action="store_true", help="stop when stdin closes (the parent died)")
    args = parser.parse_args()

    state = State(load_pieces(args.bundle), args)
    server = QuietServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.state = state

    def stop_later(why):
        threading.Thread(target=server.shutdown, daemon=True).start()

    if args.exit_on_stdin_eof:
        def watch_stdin():
            while sys.stdin.buffer.read(4096):
                pass
            stop_later("stdin closed")
        threading.Thread(target=watch_stdin, daemon=True).start()
    timer = threading.Timer(args.max_seconds, stop_later, args=("max-seconds",))
    timer.daemon = True
    timer.start()

    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
    os._exit(0)


if __name__ == "__main__":
    main()
