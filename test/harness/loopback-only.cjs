// Loaded with `NODE_OPTIONS=--require <this file>` into every Node process a test starts (npm, the demo
// script, the simulators, code-server, the extension host). A name lookup of any host other than
// loopback is recorded in $HOMELAB_NET_LOG and refused (ENOTFOUND), and so is a connection to a
// non-loopback address given as a literal IP: a test reads the log to prove nothing tried to leave.
// Each process also records that it loaded the hook, so the test can tell "no lookup" from "no hook".
'use strict';
const dns = require('node:dns');
const fs = require('node:fs');
const net = require('node:net');

const log = process.env.HOMELAB_NET_LOG;
if (log) {
  const write = (entry) => {
    try {
      fs.appendFileSync(log, JSON.stringify({ pid: process.pid, argv: process.argv.slice(1).join(' ').slice(0, 300), ...entry }) + '\n');
    } catch {
      /* the log folder is gone: the test is over */
    }
  };
  const isLoopbackName = (host) => host === 'localhost' || host.endsWith('.localhost');
  const isLoopbackIp = (ip) => ip === '::1' || ip.startsWith('127.') || ip === '::ffff:127.0.0.1' || ip === '0.0.0.0' || ip === '::';
  const allowed = (host) => {
    const h = String(host ?? '').replace(/^\[|\]$/g, '').toLowerCase();
    if (h === '') return true;
    return net.isIP(h) ? isLoopbackIp(h) : isLoopbackName(h);
  };
  const refusal = (host) => Object.assign(new Error(`getaddrinfo ENOTFOUND ${host} (loopback-only test hook)`), { code: 'ENOTFOUND', hostname: host, syscall: 'getaddrinfo' });

  write({ event: 'loaded' });
  const lookup = dns.lookup;
  dns.lookup = function (host, options, callback) {
    if (allowed(host)) return lookup.apply(this, arguments);
    write({ event: 'lookup', host });
    const cb = typeof options === 'function' ? options : callback;
    process.nextTick(() => cb(refusal(host)));
    return {};
  };
  const plookup = dns.promises.lookup;
  dns.promises.lookup = function (host) {
    if (allowed(host)) return plookup.apply(this, arguments);
    write({ event: 'lookup', host });
    return Promise.reject(refusal(host));
  };
  for (const name of ['resolve', 'resolve4', 'resolve6', 'resolveAny']) {
    const orig = dns[name];
    dns[name] = function (host, ...rest) {
      if (!allowed(host)) write({ event: 'lookup', host });
      return orig.call(this, host, ...rest);
    };
  }
  // VS Code's server removes NODE_OPTIONS from the extension host's environment: carry the hook into
  // forked Node children through execArgv instead.
  const cp = require('node:child_process');
  const fork = cp.fork;
  cp.fork = function (modulePath, args, options) {
    if (!Array.isArray(args)) [args, options] = [[], args];
    const o = { ...(options ?? {}) };
    const execArgv = o.execArgv ?? process.execArgv;
    if (!execArgv.includes(__filename)) o.execArgv = [...execArgv, '--require', __filename];
    o.env = { ...(o.env ?? process.env), HOMELAB_NET_LOG: log };
    return fork.call(this, modulePath, args, o);
  };
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (...args) {
    const o = Array.isArray(args[0]) ? args[0][0] : args[0]; // net's internal calls pass [options, cb]
    const host = o && typeof o === 'object' ? o.host : typeof args[1] === 'string' ? args[1] : undefined;
    const path = o && typeof o === 'object' ? o.path : undefined;
    if (!path && host && net.isIP(String(host).replace(/^\[|\]$/g, '')) && !allowed(host)) write({ event: 'connect', host });
    return connect.apply(this, args);
  };
  // ES modules (code-server's server is one) bind builtin exports at import: make them see the patches.
  require('node:module').syncBuiltinESMExports();
}
