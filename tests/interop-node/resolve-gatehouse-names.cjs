// Preloaded (NODE_OPTIONS=--require, see clientProcessEnvironment in support.mjs) into a client
// the tests run as a process of its own, such as Commerce Layer's CLI: the names listed in
// GATEHOUSE_INTEROP_NAMES (auth.gatehouse.test, acme.gatehouse.test) resolve to 127.0.0.1, where
// the test's TLS proxy listens; `localhost` resolves as usual; every other name fails to
// resolve, so nothing the client does (an update check, a plugin lookup) leaves the machine.
// Node's fetch connects through dns.lookup, so replacing it is enough; the certificate is
// trusted through NODE_EXTRA_CA_CERTS. (Not named *-test.cjs: `node --test` would run it.)

'use strict';

const dns = require('node:dns');

const names = new Set((process.env.GATEHOUSE_INTEROP_NAMES || '').split(',').filter(Boolean));
const systemLookup = dns.lookup;

function notFound(hostname) {
  return Object.assign(
    new Error(`getaddrinfo ENOTFOUND ${hostname} (this test client only reaches ${[...names].join(', ')})`),
    { code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname },
  );
}

dns.lookup = function lookup(hostname, options, callback) {
  if (typeof options === 'function') {
    callback = options;
    options = {};
  }
  if (typeof options === 'number') options = { family: options };
  options = options || {};
  if (hostname === 'localhost') return systemLookup.call(dns, hostname, options, callback);
  if (!names.has(hostname)) {
    process.nextTick(callback, notFound(hostname));
  } else if (options.all) {
    process.nextTick(callback, null, [{ address: '127.0.0.1', family: 4 }]);
  } else {
    process.nextTick(callback, null, '127.0.0.1', 4);
  }
  return {};
};

dns.promises.lookup = function lookup(hostname, options = {}) {
  return new Promise((resolve, reject) => {
    dns.lookup(hostname, options, (error, address, family) => {
      if (error) reject(error);
      else resolve(Array.isArray(address) ? address : { address, family });
    });
  });
};
