// Preloaded (node --require) into Windows Node when it runs npm under Wine (test/wine/).
// Wine 8.0 cannot connect a TCP socket on which keep-alive was set before it connected: Windows
// Node's libuv then sets the keep-alive time as it creates the socket, setsockopt(IPPROTO_TCP,
// TCP_KEEPALIVE = 3) fails under Wine 8.0 (WINEDEBUG=+winsock: "Unknown IPPROTO_TCP optname 0x3"),
// and connect() fails with UNKNOWN (errno -4094). npm's HTTP agent (and fetch) set keep-alive on
// sockets that are still connecting; this defers that to the 'connect' event (where the failure
// is ignored). Nothing else changes.
const net = require('node:net');

const setKeepAlive = net.Socket.prototype.setKeepAlive;
net.Socket.prototype.setKeepAlive = function (enable, delay) {
  if (this.connecting) {
    this.once('connect', () => setKeepAlive.call(this, enable, delay));
    return this;
  }
  return setKeepAlive.call(this, enable, delay);
};
